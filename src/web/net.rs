//! The console's connections: its own accept loop (hyper), so that a connection that sends
//! half a header, or sits idle, is closed after a timeout; connections are capped (in all and
//! per address), so a flood cannot take every file descriptor; TLS when asked (rustls); and on
//! every request, checks that no browser page elsewhere can get past: only the listening
//! address's host names are served (DNS rebinding), and a POST from another site is refused.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use super::App;

/// What a connection may take, and how many there may be.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// To send a request's header, and to send the next one on a kept-alive connection.
    pub header: Duration,
    /// Between two parts of a request's body.
    pub body: Duration,
    /// For a TLS handshake.
    pub handshake: Duration,
    pub connections: usize,
    pub per_address: usize,
}

impl Limits {
    /// The defaults; tests shorten them through environment variables.
    pub fn from_env() -> Limits {
        let num = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Limits {
            header: Duration::from_millis(num("BGY_HEADER_TIMEOUT_MS", 15_000)),
            body: Duration::from_millis(num("BGY_BODY_TIMEOUT_MS", 60_000)),
            handshake: Duration::from_secs(10),
            connections: num("BGY_MAX_CONNECTIONS", 256) as usize,
            per_address: num("BGY_MAX_CONNECTIONS_PER_ADDRESS", 64) as usize,
        }
    }
}

/// Reads a certificate chain and its key (PEM) for `--tls-cert` and `--tls-key`.
pub fn tls(cert: &Path, key: &Path) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            let cert = cert.display();
            anyhow::anyhow!("--tls-cert {cert}:无法读取证书 (cannot read the certificate: {e})")
        })?;
    anyhow::ensure!(
        !chain.is_empty(),
        "--tls-cert {}:里面没有证书 (no certificate in it: PEM, -----BEGIN CERTIFICATE-----)",
        cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        let key = key.display();
        anyhow::anyhow!("--tls-key {key}:无法读取私钥 (cannot read the private key: {e})")
    })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS setup")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("--tls-cert 与 --tls-key 不是同一对证书和私钥 (--tls-cert and --tls-key do not make a certificate and its key)")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.connections));
    let per_address: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors or a connection reset before it was taken: wait a moment
                // rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(turn_away(stream));
            continue;
        };
        let Some(counted) = Counted::new(&per_address, peer.ip(), limits.per_address) else {
            tokio::spawn(turn_away(stream));
            continue;
        };
        let (router, tls) = (router.clone(), tls.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let _counted = counted;
            match tls {
                Some(tls) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(limits.handshake, tls.accept(stream)).await
                    else {
                        return;
                    };
                    connection(TokioIo::new(stream), peer, router, limits).await;
                }
                None => connection(TokioIo::new(stream), peer, router, limits).await,
            }
        });
    }
}

/// One connection, HTTP/1.1, until the client closes it or a timeout does.
async fn connection<I>(io: I, peer: SocketAddr, router: Router, limits: Limits)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                let request = request.map(axum::body::Body::new);
                Ok::<_, Infallible>(router.oneshot(request).await.unwrap_or_else(|e| match e {}))
            }
        });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        // Also the wait for the next request on a kept-alive connection.
        .header_read_timeout(limits.header)
        .max_buf_size(64 * 1024)
        .serve_connection(io, service)
        .await;
}

/// A connection over the cap: told so, and closed.
async fn turn_away(mut stream: TcpStream) {
    let answer = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(answer)).await;
}

/// One connection of an address, counted while it lives.
struct Counted {
    map: Arc<Mutex<HashMap<IpAddr, usize>>>,
    addr: IpAddr,
}

impl Counted {
    fn new(map: &Arc<Mutex<HashMap<IpAddr, usize>>>, addr: IpAddr, max: usize) -> Option<Counted> {
        let mut m = map.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(addr).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Counted {
            map: map.clone(),
            addr,
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.addr) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.addr);
            }
        }
    }
}

/// The host names the console answers to.
#[derive(Debug, Clone)]
pub struct Hosts {
    names: Vec<String>,
    /// Listening on every address: any IP literal is the console's own (a DNS rebinding
    /// needs a name).
    any_ip: bool,
}

impl Hosts {
    /// For a console listening on `addr`, and the names given with `--host`.
    pub fn new(addr: SocketAddr, extra: &[String]) -> Hosts {
        let ip = addr.ip();
        let mut names: Vec<String> = extra.iter().map(|h| h.trim().to_lowercase()).collect();
        names.push(ip.to_string());
        if ip.is_loopback() || ip.is_unspecified() {
            names.extend(["localhost".into(), "127.0.0.1".into(), "::1".into()]);
        }
        if ip.is_unspecified() {
            if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
                names.push(name.trim().to_lowercase());
            }
        }
        Hosts {
            names,
            any_ip: ip.is_unspecified(),
        }
    }

    /// The `Host` header names one of them (any port).
    pub fn allows(&self, host: &str) -> bool {
        let name = host_name(host).to_lowercase();
        if name.is_empty() {
            return false;
        }
        (self.any_ip && name.parse::<IpAddr>().is_ok()) || self.names.contains(&name)
    }
}

/// `host:port`, `[v6]:port` or a bare name → the name (or address).
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Refuses a request to a host name the console does not answer to (421), and a POST that a
/// page of another site sent (403: its `Origin` is not this host, or `Sec-Fetch-Site` says it
/// came from elsewhere).
pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !app.hosts.allows(host) {
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "bgy serve does not answer to this host name; start it with --host NAME to allow a name\n",
        )
            .into_response();
    }
    if request.method() == Method::POST && !same_origin(request.headers(), host) {
        return super::error::AppError::Forbidden.into_response();
    }
    next.run(request).await
}

/// A POST's `Origin` and `Sec-Fetch-Site` say it came from one of the console's own pages
/// (or from no browser page at all: neither header).
fn same_origin(headers: &HeaderMap, host: &str) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    match text(header::ORIGIN) {
        None => true,
        Some(origin) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host)),
    }
}

/// The address a request came from: the connection's, or with `--trust-proxy` the one the
/// proxy put last in `X-Forwarded-For`.
pub fn client(headers: &HeaderMap, peer: Option<SocketAddr>, trust_proxy: bool) -> IpAddr {
    let forwarded = trust_proxy
        .then(|| headers.get("x-forwarded-for")?.to_str().ok())
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse().ok());
    forwarded
        .or(peer.map(|p| p.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// On every answer: nothing kept in a cache, no framing, no sniffing, no inline script, no
/// window shared with another site, no powerful browser features.
pub async fn secure_headers(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    // Not no-referrer: with it a browser sends `Origin: null` on the console's own forms,
    // which the same-origin check must refuse.
    set(h, "referrer-policy", "same-origin");
    set(h, "cache-control", "no-store");
    set(h, "x-frame-options", "DENY");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), clipboard-read=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    if app.auth.secure {
        set(h, "strict-transport-security", "max-age=31536000");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_consoles_own_host_names() {
        let local = Hosts::new("127.0.0.1:8700".parse().unwrap(), &[]);
        for ok in [
            "127.0.0.1:8700",
            "localhost:8700",
            "LOCALHOST",
            "[::1]:8700",
        ] {
            assert!(local.allows(ok), "{ok}");
        }
        for no in [
            "evil.example:8700",
            "evil.example",
            "",
            "10.0.0.1:8700",
            "127.0.0.1.evil:1",
        ] {
            assert!(!local.allows(no), "{no}");
        }
        let lan = Hosts::new("0.0.0.0:443".parse().unwrap(), &["hr.example.com".into()]);
        assert!(
            lan.allows("10.1.2.3") && lan.allows("hr.example.com") && lan.allows("[fe80::1]:443")
        );
        assert!(!lan.allows("rebind.attacker.example"));
    }

    #[test]
    fn a_post_from_another_origin_or_site_is_not_the_consoles() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_static(v));
            }
            m
        };
        let host = "127.0.0.1:8700";
        assert!(same_origin(&h(&[]), host), "no browser page");
        assert!(same_origin(
            &h(&[
                ("origin", "http://127.0.0.1:8700"),
                ("sec-fetch-site", "same-origin")
            ]),
            host
        ));
        assert!(
            !same_origin(&h(&[("origin", "http://127.0.0.1:9999")]), host),
            "another port"
        );
        assert!(!same_origin(&h(&[("origin", "null")]), host));
        assert!(!same_origin(&h(&[("sec-fetch-site", "same-site")]), host));
        assert!(!same_origin(&h(&[("sec-fetch-site", "cross-site")]), host));
    }
}
