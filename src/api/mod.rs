//! The 办公逸 address API: wire types, errors and the client.

pub mod client;
pub mod error;
pub mod types;

pub use client::{Client, ClientOptions, Listing, Reply, DELETE_CHUNK, PAGE_SIZE, TIMES_CHUNK};
pub use error::{redact, ApiError, Endpoint, Ticket};
pub use types::{Department, Staff, StaffPage, TimesFailure, TimesRow};
