//! Throughput of the server's request parser on pipelines of SET and GET, in bytes/s,
//! beside a straightforward nom multibulk parser as the baseline it was measured against.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use resp::{parse_request, Limits, Parsed};

/// `count` pipelined multibulk commands, as redis-benchmark sends them.
fn pipeline(count: usize, command: impl Fn(usize) -> Vec<Vec<u8>>) -> Vec<u8> {
    let mut wire = Vec::new();
    for i in 0..count {
        let args = command(i);
        wire.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            wire.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            wire.extend_from_slice(&arg);
            wire.extend_from_slice(b"\r\n");
        }
    }
    wire
}

/// Parses every request in `wire`; returns the argument count so nothing is optimised away.
fn parse_all(wire: &[u8], limits: &Limits) -> usize {
    let mut offset = 0;
    let mut total = 0;
    while offset < wire.len() {
        match parse_request(&wire[offset..], limits) {
            Ok(Parsed::Complete { args, consumed }) => {
                total += args.len();
                offset += consumed;
            }
            Ok(Parsed::Skip { consumed }) => offset += consumed,
            _ => break,
        }
    }
    total
}

/// The nom baseline: `*<n>\r\n` then n times `$<len>\r\n<payload>\r\n`, well-formed input only.
fn nom_request(input: &[u8]) -> nom::IResult<&[u8], Vec<&[u8]>> {
    use nom::bytes::streaming::{tag, take};
    use nom::character::streaming::{char, digit1};
    use nom::combinator::map_res;
    use nom::sequence::{delimited, terminated};
    let number = |prefix| {
        delimited(
            char(prefix),
            map_res(digit1, |digits: &[u8]| {
                std::str::from_utf8(digits).unwrap_or("x").parse::<usize>()
            }),
            tag("\r\n"),
        )
    };
    let (mut input, count) = number('*')(input)?;
    let mut args = Vec::with_capacity(count.min(16));
    for _ in 0..count {
        let (rest, len) = number('$')(input)?;
        let (rest, arg) = terminated(take(len), tag("\r\n"))(rest)?;
        args.push(arg);
        input = rest;
    }
    Ok((input, args))
}

fn nom_parse_all(mut wire: &[u8]) -> usize {
    let mut total = 0;
    while let Ok((rest, args)) = nom_request(wire) {
        total += args.len();
        wire = rest;
    }
    total
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let cases = [
        (
            "16x SET key:000123 xxx",
            pipeline(16, |i| {
                vec![
                    b"SET".to_vec(),
                    format!("key:{i:06}").into_bytes(),
                    b"xxx".to_vec(),
                ]
            }),
        ),
        (
            "16x SET 1KB value",
            pipeline(16, |i| {
                vec![
                    b"SET".to_vec(),
                    format!("key:{i:06}").into_bytes(),
                    vec![b'x'; 1024],
                ]
            }),
        ),
        (
            "16x GET key:000123",
            pipeline(16, |i| {
                vec![b"GET".to_vec(), format!("key:{i:06}").into_bytes()]
            }),
        ),
    ];
    let mut group = c.benchmark_group("parse_request");
    for (name, wire) in &cases {
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(*name, |b| b.iter(|| parse_all(black_box(wire), &limits)));
        group.bench_function(format!("{name} (nom baseline)"), |b| {
            b.iter(|| nom_parse_all(black_box(wire)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
