//! Criterion micro-benchmarks of redrill's hot paths live in `benches/benches/`;
//! whole-server side-by-side runs against redis-server live in `benches/*.py`.
