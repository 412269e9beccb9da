//! What bgy asks of the operating system beyond its files: a thread to free memory on, an
//! address to listen on.

/// Drops `value` on a thread of its own, for what only holds memory and is large: a run's
/// rows, its directory, its report's workbook (100,000 people: tens of milliseconds of frees
/// at a run's end, after its last output). A command-line run exits without waiting for it.
pub fn drop_later<T: Send + 'static>(value: T) {
    // When no thread can be made, the closure, and so `value`, is dropped here.
    let _ = std::thread::Builder::new()
        .name("drop".into())
        .spawn(move || drop(value));
}

/// Listens on `listen` (the emulator's, the console's), or says why not in Chinese and
/// English: a port another program has, an address this machine does not have.
pub async fn bind(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    use std::io::ErrorKind;
    tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        let why = match e.kind() {
            ErrorKind::AddrInUse => "端口已被别的程序占用;用 --listen 换一个端口",
            ErrorKind::AddrNotAvailable => "本机没有这个地址",
            ErrorKind::PermissionDenied => "没有权限使用这个端口(1024 以下的端口要管理员权限)",
            _ => "无法监听",
        };
        anyhow::Error::new(e).context(format!(
            "无法在 {listen} 监听:{why} (cannot listen on {listen})"
        ))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_is_dropped_later_is_dropped_on_a_thread_of_its_own() {
        struct Told(std::sync::mpsc::Sender<std::thread::ThreadId>);
        impl Drop for Told {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().id());
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        super::drop_later(Told(tx));
        let dropped_on = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("dropped");
        assert_ne!(dropped_on, std::thread::current().id());
    }
}
