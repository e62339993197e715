//! Inline commands: `PING\r\n` or `set a "b c"\n`, as typed into telnet or nc.
//!
//! Mirrors `processInlineBuffer` in Redis's `networking.c`, which cuts the line at the
//! first `\n` (dropping one `\r` before it) and splits it with `sdssplitargs` from
//! `sds.c`. Splitting rules: arguments are separated by whitespace; inside
//! "double quotes" the escapes `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a` and `\<any>`
//! work; inside 'single quotes' only `\'` does; a closing quote must be followed by
//! whitespace or the end of the line, and a quote left open is the error
//! "unbalanced quotes in request". A quote may start in the middle of a word:
//! `ab"c d"` is the single argument `abc d`.

use crate::error::ProtocolError;
use crate::request::{ArgRanges, Parsed, PROTO_INLINE_MAX_SIZE};

/// One argument of an inline line: a plain range of the line, or unquoted bytes.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    Plain(usize, usize),
    Owned(Vec<u8>),
}

/// `processInlineBuffer`: the request at the start of `buf` is an inline one.
pub(crate) fn parse_inline(buf: &[u8]) -> Result<Parsed, ProtocolError> {
    // strchr(querybuf, '\n') in Redis: a NUL stops the search for good.
    let newline = match buf.iter().position(|&b| b == b'\n' || b == 0) {
        Some(at) if buf[at] == b'\n' => at,
        _ if buf.len() > PROTO_INLINE_MAX_SIZE => return Err(ProtocolError::TooBigInline),
        _ => return Ok(Parsed::Incomplete { needed_hint: None }),
    };
    // A prefix of `newline` bytes would already have failed the 64 KiB rule.
    if newline > PROTO_INLINE_MAX_SIZE {
        return Err(ProtocolError::TooBigInline);
    }
    let line_end = if newline > 0 && buf[newline - 1] == b'\r' {
        newline - 1
    } else {
        newline
    };
    let consumed = newline + 1;
    let tokens = split_args(&buf[..line_end]).ok_or(ProtocolError::UnbalancedQuotes)?;
    if tokens.is_empty() {
        return Ok(Parsed::Skip { consumed });
    }
    if tokens.iter().all(|token| matches!(token, Token::Plain(..))) {
        let mut args = ArgRanges::new();
        for token in tokens {
            if let Token::Plain(start, end) = token {
                args.push((start, end));
            }
        }
        return Ok(Parsed::Complete { args, consumed });
    }
    let args = tokens
        .into_iter()
        .map(|token| match token {
            Token::Plain(start, end) => buf[start..end].to_vec(),
            Token::Owned(bytes) => bytes,
        })
        .collect();
    Ok(Parsed::CompleteOwned { args, consumed })
}

/// C's `isspace` in the C locale.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The value of a hex digit, if `byte` is one.
fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

/// `sdssplitargs` on `line`; `None` for unbalanced quotes. Ranges index `line`.
fn split_args(line: &[u8]) -> Option<Vec<Token>> {
    // Past the end reads as C's terminating NUL, which is how sdssplitargs sees it.
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut tokens = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(tokens);
        }
        let (token, next) = split_one(line, p, &at)?;
        tokens.push(token);
        p = next;
    }
}

/// Reads one argument starting at `start` (not a space); returns it and where the
/// scan resumes.
fn split_one(line: &[u8], start: usize, at: &dyn Fn(usize) -> u8) -> Option<(Token, usize)> {
    #[derive(PartialEq)]
    enum State {
        Bare,
        Double,
        Single,
    }
    let mut state = State::Bare;
    // Bytes of the argument once a quote made it differ from the line.
    let mut owned: Option<Vec<u8>> = None;
    let mut p = start;
    loop {
        let c = at(p);
        match state {
            State::Bare => match c {
                b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                    let token = match owned {
                        Some(bytes) => Token::Owned(bytes),
                        None => Token::Plain(start, p),
                    };
                    // The terminator is consumed unless it is the end of the line.
                    return Some((token, if c == 0 { p } else { p + 1 }));
                }
                b'"' | b'\'' => {
                    owned.get_or_insert_with(|| line[start..p].to_vec());
                    state = if c == b'"' {
                        State::Double
                    } else {
                        State::Single
                    };
                    p += 1;
                }
                _ => {
                    if let Some(bytes) = owned.as_mut() {
                        bytes.push(c);
                    }
                    p += 1;
                }
            },
            State::Double | State::Single => {
                let bytes = owned.get_or_insert_with(Vec::new);
                let quote = if state == State::Double { b'"' } else { b'\'' };
                if c == 0 {
                    return None;
                } else if c == quote {
                    // A closing quote must be followed by a space or the end.
                    let after = at(p + 1);
                    if after != 0 && !is_space(after) {
                        return None;
                    }
                    return Some((Token::Owned(std::mem::take(bytes)), p + 1));
                } else if state == State::Double && c == b'\\' && at(p + 1) == b'x' {
                    match (hex_value(at(p + 2)), hex_value(at(p + 3))) {
                        (Some(high), Some(low)) => {
                            bytes.push(high * 16 + low);
                            p += 4;
                        }
                        _ => {
                            bytes.push(b'x');
                            p += 2;
                        }
                    }
                } else if state == State::Double && c == b'\\' && at(p + 1) != 0 {
                    bytes.push(match at(p + 1) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    p += 2;
                } else if state == State::Single && c == b'\\' && at(p + 1) == b'\'' {
                    bytes.push(b'\'');
                    p += 2;
                } else {
                    bytes.push(c);
                    p += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        let tokens = split_args(line)?;
        Some(
            tokens
                .into_iter()
                .map(|token| match token {
                    Token::Plain(start, end) => line[start..end].to_vec(),
                    Token::Owned(bytes) => bytes,
                })
                .collect(),
        )
    }

    fn words(list: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
        Some(list.iter().map(|word| word.to_vec()).collect())
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(split(b"set a b"), words(&[b"set", b"a", b"b"]));
        assert_eq!(split(b"  \t set\x0b a  "), words(&[b"set\x0b", b"a"]));
        assert_eq!(
            split(b"set \"a b\" 'c d'"),
            words(&[b"set", b"a b", b"c d"])
        );
        assert_eq!(split(b"\"\\x41\\n\\t\\q\""), words(&[b"A\n\tq"]));
        assert_eq!(split(b"\"\\x4g\""), words(&[b"x4g"]));
        assert_eq!(split(b"'it\\'s' '\\n'"), words(&[b"it's", b"\\n"]));
        assert_eq!(split(b"ab\"c d\""), words(&[b"abc d"]));
        assert_eq!(split(b"\"\""), words(&[b""]));
        assert_eq!(split(b"a\rb"), words(&[b"a", b"b"]));
        assert_eq!(split(b""), words(&[]));
    }

    #[test]
    fn rejects_unbalanced_quotes() {
        for line in [
            &b"\"abc"[..],
            b"'abc",
            b"\"a\"b",
            b"'a'b",
            b"\"a\\\"",
            b"\"\\",
        ] {
            assert_eq!(split(line), None, "{:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn a_closing_quote_may_be_followed_by_any_space() {
        assert_eq!(split(b"\"a\"\x0bb"), words(&[b"a", b"b"]));
    }
}
