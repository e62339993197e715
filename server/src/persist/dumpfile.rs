//! The file a save writes: the temp dump, written around the page cache, by
//! a thread of its own while the save goes on producing the next chunk.
//!
//! A buffered `write(2)` copies every byte into the page cache and the kernel
//! writes it out later: for a 2 GB dump that copy alone cost the saving thread
//! more CPU than serialising and compressing (63% of its time in
//! `copy_folio_from_iter_atomic`, benches/bgsave.py on a 2-vCPU VM). Redis's fork
//! child pays it too. A dump is written once and not read back soon, so here it
//! goes with `O_DIRECT`: whole aligned chunks straight from a buffer to the
//! device (`dd` of 2000 MiB on the same VM: 2.8 s wall and 2.4 s of system
//! time buffered, 0.9 s and 0.25 s direct).
//!
//! A direct write returns only once the device has the chunk. Done by the
//! saving thread itself, the disk would wait while it serialises and it would
//! wait while the disk writes: an idle 2 GB BGSAVE took 7 s, 2.6 s of them
//! computing. So a second thread does the writes ([`Sink`]), [`BUFFERS`]
//! chunks go round between the two, and the slower of disk and CPU sets the
//! pace: the saving thread blocks only when every buffer is queued for the
//! disk.
//!
//! ```text
//!   saving thread                          I/O thread ("redrill-dumpio")
//!   fills a chunk ──── Full(chunk) ──────▶ write(2), O_DIRECT
//!        ▲                                       │
//!        └───────────── the chunk, empty ◀───────┘
//!   finish() ──────── Last(chunk) ───────▶ pad, write, cut, fsync ── result
//! ```
//!
//! `O_DIRECT` wants the buffer, the length and the file offset aligned to the
//! device's block. Every chunk is [`CHUNK`] bytes from an [`ALIGN`]-aligned
//! place in its buffer; the last, short one is padded with zeros to [`ALIGN`]
//! and the file is then cut back to its real length. Where the file system
//! refuses `O_DIRECT` (at open or at the first write), the file continues as an
//! ordinary buffered one: same bytes, only slower. Either way it ends with an
//! fsync, as Redis's `rdbSave` does before renaming.
//!
//! With `rdb-save-incremental-fsync yes` (the default, as in Redis) the I/O
//! thread also calls `fdatasync` after every [`AUTOSYNC_BYTES`], Redis 7.0's
//! `REDIS_AUTOSYNC_BYTES`. Where the disk is virtual, the host makes the
//! file durable on the flush, and that work can take the guest's CPUs away
//! (steal time): on the 2-vCPU VM of benches/bgsave.py, with both CPUs busy,
//! one fsync at the end of ~900 MB written stopped even a real-time thread for
//! 23 ms; a flush every 4 MB spread that work into stops of about 10 ms.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::thread::JoinHandle;

use crossbeam::channel::{bounded, Receiver, Sender};

/// Alignment of buffer, lengths and offsets for `O_DIRECT` (the largest
/// logical block size in common use).
pub const ALIGN: usize = 4096;
/// Bytes per write: big enough that the device, not the syscalls, sets the pace.
pub const CHUNK: usize = 1 << 20;
/// Chunk buffers going round: one filling, the others queued or being written.
/// Six did not make an idle 2 GB BGSAVE with the incremental fsync faster
/// (4.6-5.3 s against 4.3-4.6 s with three), so three it is.
pub const BUFFERS: usize = 3;
/// Bytes between two `fdatasync`s of an incremental-fsync save (Redis 7.0's
/// `REDIS_AUTOSYNC_BYTES`).
pub const AUTOSYNC_BYTES: u64 = 4 << 20;

/// One chunk buffer: CHUNK + ALIGN bytes, so that an aligned CHUNK fits inside.
struct Chunk {
    buf: Vec<u8>,
    /// Where the aligned chunk begins in `buf`.
    start: usize,
    /// Bytes waiting in the chunk.
    len: usize,
}

impl Chunk {
    fn new() -> Chunk {
        let buf = vec![0u8; CHUNK + ALIGN];
        // align_offset may in principle give up; the Sink then finds the
        // write refused and goes on buffered.
        let start = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        Chunk { buf, start, len: 0 }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }
}

/// What the saving thread sends the I/O thread.
enum Msg {
    /// A full chunk; more follows.
    Full(Chunk),
    /// The last chunk (possibly empty): write it, cut, fsync, and end.
    Last(Chunk),
}

/// A dump being written: the saving thread fills chunks, the I/O thread
/// writes them.
pub struct DumpFile {
    chunk: Chunk,
    to_io: Option<Sender<Msg>>,
    free: Receiver<Chunk>,
    io: Option<JoinHandle<io::Result<()>>>,
}

impl DumpFile {
    /// Creates (or truncates) `path` for a dump and starts its I/O thread;
    /// `direct` asks for `O_DIRECT`, `incremental_fsync` an `fdatasync` every
    /// [`AUTOSYNC_BYTES`].
    pub fn create(path: &Path, direct: bool, incremental_fsync: bool) -> io::Result<DumpFile> {
        let mut sink = Sink::create(path, direct)?;
        if incremental_fsync {
            sink.sync_every = AUTOSYNC_BYTES;
        }
        let (to_io, from_saver) = bounded::<Msg>(BUFFERS);
        let (give_back, free) = bounded::<Chunk>(BUFFERS);
        for _ in 1..BUFFERS {
            let _ = give_back.send(Chunk::new());
        }
        let io = std::thread::Builder::new()
            .name("redrill-dumpio".into())
            .spawn(move || sink.run(&from_saver, &give_back))?;
        Ok(DumpFile {
            chunk: Chunk::new(),
            to_io: Some(to_io),
            free,
            io: Some(io),
        })
    }

    /// Writes out the tail, cuts the padding, fsyncs. The file is complete
    /// once this returns Ok.
    pub fn finish(mut self) -> io::Result<()> {
        let last = std::mem::replace(
            &mut self.chunk,
            Chunk {
                buf: Vec::new(),
                start: 0,
                len: 0,
            },
        );
        let sent = self.to_io.take().map(|tx| tx.send(Msg::Last(last)).is_ok());
        let result = self.join();
        match (sent, result) {
            (_, Err(e)) => Err(e),
            (Some(true), Ok(())) => Ok(()),
            _ => Err(io::Error::other("the dump's I/O thread ended early")),
        }
    }

    /// Waits for the I/O thread and takes its result.
    fn join(&mut self) -> io::Result<()> {
        match self.io.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the dump's I/O thread panicked")),
            None => Ok(()),
        }
    }

    /// Hands the full chunk to the I/O thread and takes an empty one, waiting
    /// while every buffer is queued. An error is the I/O thread's.
    fn pass_chunk(&mut self) -> io::Result<()> {
        let next = match self.free.recv() {
            Ok(next) => next,
            Err(_) => return Err(self.io_error()),
        };
        let full = std::mem::replace(&mut self.chunk, next);
        let sent = self.to_io.as_ref().map(|tx| tx.send(Msg::Full(full)));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(self.io_error()),
        }
    }

    /// The I/O thread stopped: why (it stops only on an error).
    fn io_error(&mut self) -> io::Error {
        self.to_io = None;
        match self.join() {
            Err(e) => e,
            Ok(()) => io::Error::other("the dump's I/O thread ended early"),
        }
    }
}

impl Drop for DumpFile {
    /// An abandoned dump (a save aborted or failed): the I/O thread sees the
    /// channel close and ends; nothing waits for it here.
    fn drop(&mut self) {
        self.to_io = None;
    }
}

impl Write for DumpFile {
    /// Takes bytes into the chunk, handing the chunk over first if it is
    /// full, so that an error means none of `data` was taken. After an error
    /// the file is unusable (a save abandons it).
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.chunk.len == CHUNK {
            self.pass_chunk()?;
        }
        let n = data.len().min(CHUNK - self.chunk.len);
        let at = self.chunk.start + self.chunk.len;
        self.chunk.buf[at..at + n].copy_from_slice(&data[..n]);
        self.chunk.len += n;
        Ok(n)
    }

    /// Nothing to do: a partial chunk can only be written by [`DumpFile::finish`],
    /// which knows it is the last.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The file side, on the I/O thread.
struct Sink {
    file: File,
    /// Bytes already in the file.
    written: u64,
    /// Open with `O_DIRECT` (cleared when the file system refuses a write).
    direct: bool,
    /// `fdatasync` once this many bytes were written since the last; 0: never.
    sync_every: u64,
    /// `written` at the last `fdatasync`.
    synced: u64,
}

impl Sink {
    /// Opens `path`, with `O_DIRECT` if `direct` and the file system takes it.
    fn create(path: &Path, direct: bool) -> io::Result<Sink> {
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
        Ok(Sink {
            file,
            written: 0,
            direct,
            sync_every: 0,
            synced: 0,
        })
    }

    /// The I/O thread: writes chunks until the last one, giving each back.
    fn run(mut self, chunks: &Receiver<Msg>, give_back: &Sender<Chunk>) -> io::Result<()> {
        // Nice 19: the thread needs little CPU time, a moment per chunk, but
        // it wakes up often; at nice 19 a wake-up does not cut into a
        // client's or the command thread's time slice.
        super::set_thread_nice(19);
        loop {
            match chunks.recv() {
                Ok(Msg::Full(mut chunk)) => {
                    self.write_chunk(&chunk)?;
                    self.maybe_sync()?;
                    chunk.len = 0;
                    let _ = give_back.send(chunk);
                }
                Ok(Msg::Last(chunk)) => return self.finish(chunk),
                // The save was abandoned: its caller removes the file.
                Err(_) => return Err(io::Error::other("dump abandoned")),
            }
        }
    }

    /// Writes the last chunk padded to a block, cuts the padding, fsyncs.
    fn finish(mut self, mut last: Chunk) -> io::Result<()> {
        if last.len > 0 {
            let real = last.len;
            let padded = if self.direct {
                real.div_ceil(ALIGN) * ALIGN
            } else {
                real
            };
            last.buf[last.start + real..last.start + padded].fill(0);
            last.len = padded;
            self.write_chunk(&last)?;
            // Cut the padding even if the write went on buffered.
            if padded > real {
                self.written -= (padded - real) as u64;
                self.file.set_len(self.written)?;
            }
        }
        self.file.sync_all()
    }

    /// The incremental fsync: `fdatasync` once [`Sink::sync_every`] bytes
    /// went out since the last one.
    fn maybe_sync(&mut self) -> io::Result<()> {
        if self.sync_every > 0 && self.written - self.synced >= self.sync_every {
            self.file.sync_data()?;
            self.synced = self.written;
        }
        Ok(())
    }

    /// Writes all of `chunk` at the end of the file.
    fn write_chunk(&mut self, chunk: &Chunk) -> io::Result<()> {
        let bytes = chunk.bytes();
        let mut done = 0;
        while done < bytes.len() {
            match self.file.write(&bytes[done..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    done += n;
                    self.written += n as u64;
                    // A short direct write leaves an unaligned rest: go on buffered.
                    if done < bytes.len() && self.direct {
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

    /// Writes `data` in pieces of the given sizes (cycled), with the
    /// incremental fsync on; says when the file system refuses `O_DIRECT`,
    /// so that a run on such a one does not pass for a test of direct I/O.
    fn write_all_in(path: &Path, direct: bool, data: &[u8], pieces: &[usize]) {
        if direct && !Sink::create(path, true).unwrap().direct {
            eprintln!("{}: O_DIRECT refused here, tested buffered", path.display());
        }
        let mut f = DumpFile::create(path, direct, true).unwrap();
        let mut at = 0;
        for &p in pieces.iter().cycle() {
            if at >= data.len() {
                break;
            }
            let end = (at + p.max(1)).min(data.len());
            f.write_all(&data[at..end]).unwrap();
            at = end;
        }
        f.finish().unwrap();
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

    /// The I/O side alone, as the I/O thread drives it.
    fn chunk_of(data: &[u8]) -> Chunk {
        let mut chunk = Chunk::new();
        chunk.buf[chunk.start..chunk.start + data.len()].copy_from_slice(data);
        chunk.len = data.len();
        chunk
    }

    #[test]
    fn going_buffered_midway_keeps_every_byte() {
        let path = scratch("switch");
        let data: Vec<u8> = (0..2 * CHUNK + 5000).map(|i| (i % 253) as u8).collect();
        let mut sink = Sink::create(&path, true).unwrap();
        sink.write_chunk(&chunk_of(&data[..CHUNK])).unwrap();
        sink.go_buffered().unwrap();
        assert!(!sink.direct);
        sink.write_chunk(&chunk_of(&data[CHUNK..2 * CHUNK]))
            .unwrap();
        sink.finish(chunk_of(&data[2 * CHUNK..])).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// What write_chunk does after a short direct write: the rest of the
    /// chunk, from an unaligned place, goes out buffered on the same file.
    #[test]
    fn the_rest_of_a_chunk_goes_out_buffered_after_a_short_write() {
        let path = scratch("short");
        let data: Vec<u8> = (0..CHUNK + 300).map(|i| (i % 241) as u8).collect();
        let mut sink = Sink::create(&path, true).unwrap();
        let first = chunk_of(&data[..CHUNK]);
        // Stand in for a device that took only 4096 bytes of the chunk.
        sink.file.write_all(&first.bytes()[..ALIGN]).unwrap();
        sink.written = ALIGN as u64;
        sink.go_buffered().unwrap();
        // 1000 bytes is no multiple of the block: only a buffered file takes it.
        sink.file
            .write_all(&first.bytes()[ALIGN..ALIGN + 1000])
            .unwrap();
        sink.file.write_all(&first.bytes()[ALIGN + 1000..]).unwrap();
        sink.written = CHUNK as u64;
        sink.finish(chunk_of(&data[CHUNK..])).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// `rdb-save-incremental-fsync`: a flush once every `sync_every` bytes,
    /// counted from the last one, and none when it is off.
    #[test]
    fn incremental_fsync_flushes_every_so_many_bytes() {
        let path = scratch("autosync");
        let chunk = chunk_of(&vec![5u8; CHUNK]);
        let mut sink = Sink::create(&path, true).unwrap();
        sink.sync_every = 2 * CHUNK as u64;
        let mut synced_at = Vec::new();
        for _ in 0..5 {
            sink.write_chunk(&chunk).unwrap();
            sink.maybe_sync().unwrap();
            synced_at.push(sink.synced / CHUNK as u64);
        }
        assert_eq!(synced_at, [0, 2, 2, 4, 4]);
        sink.sync_every = 0;
        sink.write_chunk(&chunk).unwrap();
        sink.write_chunk(&chunk).unwrap();
        sink.maybe_sync().unwrap();
        assert_eq!(sink.synced, 4 * CHUNK as u64, "off: no flush");
        sink.finish(chunk_of(b"end")).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            7 * CHUNK as u64 + 3
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn an_error_on_the_io_thread_reaches_the_writer() {
        // /dev/full takes the open and refuses every write with ENOSPC.
        let Ok(mut f) = DumpFile::create(Path::new("/dev/full"), false, true) else {
            eprintln!("/dev/full cannot be opened here: test skipped");
            return;
        };
        let data = vec![7u8; BUFFERS * CHUNK + 1];
        let err = f.write_all(&data).and_then(|()| f.finish());
        assert_eq!(
            err.map_err(|e| e.raw_os_error()),
            Err(Some(libc::ENOSPC)),
            "the device's own error"
        );
    }

    #[test]
    fn an_abandoned_dump_stops_its_thread() {
        let path = scratch("abandon");
        let mut f = DumpFile::create(&path, true, true).unwrap();
        f.write_all(&vec![1u8; 2 * CHUNK + 10]).unwrap();
        let io = f.io.take().expect("the I/O thread");
        drop(f);
        // Joining returns only if the thread saw the save go and ended.
        let result = io.join().expect("no panic");
        assert_eq!(result.unwrap_err().to_string(), "dump abandoned");
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
