//! `redrill`: the failure lab. Scenarios for the seed's cases arrive with their issues.

fn main() {
    eprintln!("redrill: no drills yet; see the README for what exists");
    std::process::exit(2);
}
