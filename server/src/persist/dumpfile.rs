//! The file a save writes: the temp dump, written around the page cache.
//!
//! A buffered `write(2)` copies every byte into the page cache and the kernel
//! writes it out later: for a 2 GB dump that copy alone cost the saving thread
//! more CPU than serialising and compressing (63% of its time in
//! `copy_folio_from_iter_atomic`, benches/bgsave.py on a 2-vCPU VM). Redis's fork
//! child pays it too. A dump is written once and not read back soon, so here it
//! goes with `O_DIRECT`: whole aligned chunks straight from one reused buffer to
//! the device (`dd` of 2000 MiB on the same VM: 2.8 s wall and 2.4 s of system
//! time buffered, 0.9 s and 0.25 s direct).
//!
//! `O_DIRECT` wants the buffer, the length and the file offset aligned to the
//! device's block. Every chunk is [`CHUNK`] bytes from an [`ALIGN`]-aligned
//! place in the buffer; the last, short one is padded with zeros to [`ALIGN`]
//! and the file is then cut back to its real length. Where the file system
//! refuses `O_DIRECT` (at open or at the first write), the file continues as an
//! ordinary buffered one: same bytes, only slower. Either way it ends with an
//! fsync, as Redis's `rdbSave` does before renaming.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Alignment of buffer, lengths and offsets for `O_DIRECT` (the largest
/// logical block size in common use).
pub const ALIGN: usize = 4096;
/// Bytes per write: big enough that the device, not the syscalls, sets the pace.
pub const CHUNK: usize = 1 << 20;

/// A dump being written: buffered in [`CHUNK`]s, written around the page cache
/// where the file system allows it.
pub struct DumpFile {
    file: File,
    /// CHUNK + ALIGN bytes, so that an aligned CHUNK fits somewhere inside.
    buf: Vec<u8>,
    /// Where the aligned chunk begins in `buf`.
    start: usize,
    /// Bytes waiting in the chunk.
    len: usize,
    /// Bytes already in the file.
    written: u64,
    /// The file is open with `O_DIRECT`.
    direct: bool,
}

impl DumpFile {
    /// Creates (or truncates) `path` for a dump; `direct` asks for `O_DIRECT`.
    pub fn create(path: &Path, direct: bool) -> io::Result<DumpFile> {
        let buf = vec![0u8; CHUNK + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        // align_offset may in principle give up; then no direct I/O.
        let direct = direct && start < ALIGN;
        let start = if start < ALIGN { start } else { 0 };
        let open = |flags: i32| {
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .custom_flags(flags)
                .open(path)
        };
        let (file, direct) = match direct {
            true => match open(libc::O_DIRECT) {
                Ok(file) => (file, true),
                // tmpfs before Linux 6.6 and some others refuse the flag.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => (open(0)?, false),
                Err(e) => return Err(e),
            },
            false => (open(0)?, false),
        };
        Ok(DumpFile {
            file,
            buf,
            start,
            len: 0,
            written: 0,
            direct,
        })
    }

    /// True while the file is written around the page cache (the tests' check).
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Writes out the tail, cuts the padding, fsyncs. The file is complete
    /// once this returns Ok.
    pub fn finish(mut self) -> io::Result<()> {
        if self.len > 0 {
            // At most one chunk: write() sends a full one only when more follows.
            let real = self.len;
            let padded = if self.direct {
                real.div_ceil(ALIGN) * ALIGN
            } else {
                real
            };
            self.buf[self.start + real..self.start + padded].fill(0);
            self.len = padded;
            self.write_chunk()?;
            // Cut the padding even if the write went on buffered.
            if padded > real {
                self.written -= (padded - real) as u64;
                self.file.set_len(self.written)?;
            }
        }
        self.file.sync_all()
    }

    /// Writes the `len` bytes of the chunk at the end of the file.
    fn write_chunk(&mut self) -> io::Result<()> {
        let mut done = 0;
        while done < self.len {
            let part = &self.buf[self.start + done..self.start + self.len];
            match self.file.write(part) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    done += n;
                    self.written += n as u64;
                    // A short direct write leaves an unaligned rest: go on buffered.
                    if done < self.len && self.direct {
                        self.go_buffered()?;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Some file systems accept the flag at open and refuse the write.
                Err(e) if self.direct && e.raw_os_error() == Some(libc::EINVAL) => {
                    self.go_buffered()?;
                }
                Err(e) => return Err(e),
            }
        }
        self.len = 0;
        Ok(())
    }

    /// Clears `O_DIRECT` on the open file: the same descriptor, at the same
    /// offset, goes on buffered (reopening by name could meet another save's
    /// file of the same name).
    #[allow(unsafe_code)]
    fn go_buffered(&mut self) -> io::Result<()> {
        let fd = self.file.as_raw_fd();
        // SAFETY: fcntl with F_GETFL and F_SETFL takes and returns integers
        // only; `fd` is open for as long as `self.file` lives, which is
        // longer than both calls.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        // SAFETY: as above.
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_DIRECT) } < 0 {
            return Err(io::Error::last_os_error());
        }
        self.direct = false;
        Ok(())
    }
}

impl Write for DumpFile {
    /// Takes bytes into the chunk, writing the chunk out first if it is
    /// full, so that an error means none of `data` was taken. After an error
    /// the file is unusable (a save abandons it).
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.len == CHUNK {
            self.write_chunk()?;
        }
        let n = data.len().min(CHUNK - self.len);
        let at = self.start + self.len;
        self.buf[at..at + n].copy_from_slice(&data[..n]);
        self.len += n;
        Ok(n)
    }

    /// Nothing to do: a partial chunk can only be written by [`DumpFile::finish`],
    /// which knows it is the last.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("redrill-dumpfile-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("temp.rdb")
    }

    /// Writes `data` in pieces of the given sizes (cycled), then reads it
    /// back; says when the file system refused `O_DIRECT`, so that a run on
    /// such a one does not pass for a test of direct I/O.
    fn write_all_in(path: &Path, direct: bool, data: &[u8], pieces: &[usize]) -> bool {
        let mut f = DumpFile::create(path, direct).unwrap();
        let mut at = 0;
        for &p in pieces.iter().cycle() {
            if at >= data.len() {
                break;
            }
            let end = (at + p.max(1)).min(data.len());
            f.write_all(&data[at..end]).unwrap();
            at = end;
        }
        let was_direct = f.is_direct();
        if direct && !was_direct {
            eprintln!("{}: O_DIRECT refused here, tested buffered", path.display());
        }
        f.finish().unwrap();
        was_direct
    }

    #[test]
    fn sizes_around_the_chunk_and_block_come_back_exactly() {
        let path = scratch("sizes");
        for size in [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            ALIGN + 1,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            3 * CHUNK + 77,
        ] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 + i / 251) as u8).collect();
            for direct in [true, false] {
                write_all_in(&path, direct, &data, &[1000, 3, 65536]);
                assert_eq!(
                    std::fs::read(&path).unwrap(),
                    data,
                    "size {size} direct {direct}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_file_written_over_a_longer_one_is_cut_to_its_own_length() {
        let path = scratch("over");
        std::fs::write(&path, vec![9u8; 3 * CHUNK]).unwrap();
        write_all_in(&path, true, b"REDIS0010", &[4]);
        assert_eq!(std::fs::read(&path).unwrap(), b"REDIS0010");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn going_buffered_midway_keeps_every_byte() {
        let path = scratch("switch");
        let data: Vec<u8> = (0..2 * CHUNK + 5000).map(|i| (i % 253) as u8).collect();
        let mut f = DumpFile::create(&path, true).unwrap();
        f.write_all(&data[..CHUNK + 10]).unwrap();
        f.go_buffered().unwrap();
        assert!(!f.is_direct());
        f.write_all(&data[CHUNK + 10..]).unwrap();
        f.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// What write_chunk does after a short direct write: the rest of the
    /// chunk, from an unaligned place, goes out buffered on the same file.
    #[test]
    fn the_rest_of_a_chunk_goes_out_buffered_after_a_short_write() {
        let path = scratch("short");
        let data: Vec<u8> = (0..CHUNK + 300).map(|i| (i % 241) as u8).collect();
        let mut f = DumpFile::create(&path, true).unwrap();
        f.write_all(&data[..CHUNK]).unwrap();
        // Stand in for a device that took only 4096 bytes of the chunk.
        f.file.write_all(&f.buf[f.start..f.start + ALIGN]).unwrap();
        f.written = ALIGN as u64;
        f.go_buffered().unwrap();
        // 1000 bytes is no multiple of the block: only a buffered file takes it.
        f.file
            .write_all(&f.buf[f.start + ALIGN..f.start + ALIGN + 1000])
            .unwrap();
        f.file
            .write_all(&f.buf[f.start + ALIGN + 1000..f.start + CHUNK])
            .unwrap();
        f.written = CHUNK as u64;
        f.len = 0;
        f.write_all(&data[CHUNK..]).unwrap();
        f.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_split_of_any_length_round_trips(
            len in 0usize..(2 * CHUNK + 3 * ALIGN),
            pieces in proptest::collection::vec(1usize..200_000, 1..6),
            direct in any::<bool>(),
        ) {
            let path = scratch("prop");
            let data: Vec<u8> = (0..len).map(|i| (i ^ (i >> 9)) as u8).collect();
            write_all_in(&path, direct, &data, &pieces);
            prop_assert_eq!(std::fs::read(&path).unwrap(), data);
            let _ = std::fs::remove_dir_all(path.parent().unwrap());
        }
    }
}
