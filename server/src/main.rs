//! `redrill-server [config-file] [--name value ...]`, like redis-server.

use std::process::ExitCode;

use server::alloc::CountingJemalloc;
use server::run::{run, StartOptions};

#[global_allocator]
static GLOBAL: CountingJemalloc = CountingJemalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!(
            "Redis server v={} sha=00000000:0 malloc={} bits=64 build=redrill-{}",
            server::REDIS_VERSION,
            server::alloc::ALLOCATOR_NAME,
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("Usage: ./redrill-server [/path/to/redis.conf] [options] [-]");
        println!("       ./redrill-server - (read config from stdin)");
        println!("       ./redrill-server -v or --version");
        println!("       ./redrill-server -h or --help");
        println!();
        println!("Examples:");
        println!("       ./redrill-server (run the server with default conf)");
        println!("       ./redrill-server /etc/redis/6379.conf");
        println!("       ./redrill-server --port 7777");
        println!("       ./redrill-server /etc/myredis.conf --loglevel verbose");
        return ExitCode::SUCCESS;
    }
    let loaded = match server::config::load_from_args(&args) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let options = StartOptions {
        config: loaded.config,
        renames: loaded.renames,
        config_file: loaded.file,
        seed: os_seed(),
        warnings: loaded.warnings,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Can't start the event loop: {e}");
            return ExitCode::from(1);
        }
    };
    let local = tokio::task::LocalSet::new();
    let code = local.block_on(&runtime, run(options));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// A seed for the server's generator from the OS (as Redis seeds from /dev/urandom).
fn os_seed() -> u64 {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => u64::from(std::process::id()) ^ 0x5eed_5eed_5eed_5eed,
    }
}
