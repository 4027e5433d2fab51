//! The Python extension `fasttok._core`. Thin: every call converts its
//! arguments, runs the core with the GIL released (`run`), and maps errors and
//! panics to the exception classes of `fasttok.errors`. The Python-facing
//! classes that mirror `tokenizers` live in `python/fasttok/`.

use crate::added_vocabulary::AddedToken;
use crate::decoders::Decoder;
use crate::encoding::Encoding;
use crate::error::Error;
use crate::models::Model;
use crate::normalizers::Normalizer;
use crate::pre_tokenizers::PreTokenizer;
use crate::processors::PostProcessor;
use crate::tokenizer::{
    EncodeInput, InputSequence, OffsetType, PaddingParams, Tokenizer, TruncationParams,
};
use crate::trainers::{Progress, Trainer, WordCounter};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::string::PyStringData;
use pyo3::types::{PyByteArray, PyList, PyString, PyTuple};
use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, RwLock};

/// A model token as Python sees it: (id, value, (start, end)).
type TokenTuple = (u32, String, (usize, usize));
/// An added token's fields: (content, single_word, lstrip, rstrip, normalized, special).
type AddedTokenTuple = (String, bool, bool, bool, bool, bool);

fn exception(py: Python<'_>, name: &str, msg: String) -> PyErr {
    let cls = py.import("fasttok.errors").and_then(|m| m.getattr(name));
    match cls {
        Ok(cls) => match cls.call1((msg.clone(),)) {
            Ok(obj) => PyErr::from_value(obj),
            Err(e) => e,
        },
        Err(_) => pyo3::exceptions::PyValueError::new_err(msg),
    }
}

fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Io { source, .. } => {
            let name = if source.kind() == std::io::ErrorKind::NotFound {
                "FileNotFound"
            } else {
                "FileError"
            };
            exception(py, name, msg)
        }
        Error::Parse { .. } | Error::Config(_) => exception(py, "ConfigError", msg),
        Error::Input(_) => exception(py, "InputError", msg),
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// Runs `f` without the GIL; errors become fasttok exceptions and a panic
/// becomes `FasttokError` instead of crossing into Python.
fn run<T: Send, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> crate::error::Result<T> + Send,
{
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py_err(py, e)),
        Err(p) => Err(exception(
            py,
            "FasttokError",
            format!("internal error (please report it): {}", panic_message(p)),
        )),
    }
}

/// Ids from which `encode_batch_ids` copies the later runs' ids on all
/// threads (below, the calling thread copies them alone). Measured with 2
/// threads, the copy's own time: 225k ids (2 MB of code in 8 KB texts,
/// o200k) 0.17 ms on one thread, 0.07-0.08 ms on both; 250k ids (100 B
/// texts, GPT-2) 0.29-0.31 ms against 0.16-0.19; 40k ids about 0.055 ms
/// either way. The whole call: about 1% faster in paired passes of two
/// builds in one process (`benchmarks/ab_builds.py`), inside the noise.
/// (An earlier measurement, 0.14 ms on both against 0.08 ms on one for
/// 230k ids, set this at 1M; it did not hold up.)
const PARALLEL_COPY: usize = 1 << 16;

/// Ids made in Rust and lent to Python as they are, through the buffer
/// protocol: the flat ids of `encode_batch_ids`, which numpy's
/// `frombuffer` views in place (a writable little-endian `uint32` array,
/// as a bytearray's would be). On one thread the ids of a whole batch
/// are encoded into one buffer that is handed over without a copy (the
/// copy into a bytearray was 4% of one thread on code, measured).
#[pyclass(module = "fasttok._core", name = "IdsBuffer", frozen)]
pub struct IdsBuffer {
    ptr: std::ptr::NonNull<u32>,
    len: usize,
    cap: usize,
}

// SAFETY: an IdsBuffer alone owns the allocation of the Vec it took apart
// (freed only in its Drop), and Rust code neither reads nor writes it
// after that: only Python does, through the buffer protocol, as it would
// a bytearray's storage. Nothing in it is tied to one thread.
unsafe impl Send for IdsBuffer {}
// SAFETY: as for Send: `&IdsBuffer` gives Rust code no access to the ids.
unsafe impl Sync for IdsBuffer {}

impl IdsBuffer {
    fn new(mut ids: Vec<u32>) -> Self {
        if ids.capacity() - ids.len() > ids.len() / 4 {
            ids.shrink_to_fit();
        }
        #[cfg(target_endian = "big")]
        for id in &mut ids {
            *id = id.to_le();
        }
        let mut ids = std::mem::ManuallyDrop::new(ids);
        IdsBuffer {
            ptr: std::ptr::NonNull::new(ids.as_mut_ptr()).unwrap_or(std::ptr::NonNull::dangling()),
            len: ids.len(),
            cap: ids.capacity(),
        }
    }
}

impl Drop for IdsBuffer {
    fn drop(&mut self) {
        // SAFETY: the pointer, length and capacity of the Vec that `new`
        // took apart, put back together once (a buffer view keeps the
        // object alive, so none is left when this runs).
        drop(unsafe { Vec::from_raw_parts(self.ptr.as_ptr(), self.len, self.cap) });
    }
}

#[pymethods]
impl IdsBuffer {
    /// The size in bytes (four per id).
    fn __len__(&self) -> usize {
        self.len * 4
    }

    /// # Safety
    /// Called by CPython with a `Py_buffer` to fill (the buffer protocol).
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut pyo3::ffi::Py_buffer,
        flags: std::ffi::c_int,
    ) -> PyResult<()> {
        let me = slf.get();
        let len = pyo3::ffi::Py_ssize_t::try_from(me.len * 4)
            .map_err(|_| pyo3::exceptions::PyBufferError::new_err("ids too large"))?;
        // SAFETY: `view` is CPython's to fill; the memory is `len` bytes of
        // ids owned by `slf` (read and written only through such views),
        // and `PyBuffer_FillInfo` stores a new reference to `slf` in the
        // view, so the ids outlive it.
        let r = unsafe {
            pyo3::ffi::PyBuffer_FillInfo(view, slf.as_ptr(), me.ptr.as_ptr().cast(), len, 0, flags)
        };
        if r != 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }
}

/// A run of flat ids: its texts' ids one after another, and how many
/// each text has.
type FlatRun = (Vec<u32>, Vec<usize>);

/// The runs of [`crate::util::par_runs`] for flat ids (each run's ids, and
/// the number of ids of each of its texts), as one: the first run, with
/// the others' ids copied after its own (into room it was given ahead
/// when it began: see `encode_batch_ids`), on all threads when there are
/// enough. One run (one thread) is taken as it is.
fn join_runs(runs: Vec<(usize, FlatRun)>) -> FlatRun {
    let mut runs = runs.into_iter().map(|(_, run)| run);
    let Some((mut out, mut lens)) = runs.next() else {
        return Default::default();
    };
    let others: Vec<FlatRun> = runs.collect();
    if others.is_empty() {
        return (out, lens);
    }
    let more: usize = others.iter().map(|(ids, _)| ids.len()).sum();
    out.reserve(more);
    let threads = if more >= PARALLEL_COPY {
        crate::util::num_threads()
    } else {
        1
    };
    // Part k of the room (equal parts) gets the pieces of the other runs
    // that fall in it, each copied by the thread given the part.
    let mut parts = Vec::with_capacity(threads);
    let mut rest = &mut out.spare_capacity_mut()[..more];
    let (mut run, mut within) = (0, 0);
    for k in 0..threads {
        let size = (k + 1) * more / threads - k * more / threads;
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(size);
        rest = tail;
        let mut pieces = Vec::new();
        let mut need = size;
        while need > 0 {
            let Some((src, _)) = others.get(run) else {
                break;
            };
            let take = (src.len() - within).min(need);
            pieces.push(&src[within..within + take]);
            need -= take;
            within += take;
            if within == src.len() {
                (run, within) = (run + 1, 0);
            }
        }
        parts.push((part, pieces));
    }
    crate::util::par_each(parts, |(mut part, pieces)| {
        for src in pieces {
            let (head, tail) = std::mem::take(&mut part).split_at_mut(src.len());
            for (d, &s) in head.iter_mut().zip(src) {
                d.write(s);
            }
            part = tail;
        }
    });
    // SAFETY: the parts tile the first `more` slots of `out`'s spare
    // capacity (reserved above), and each part was written whole: its
    // pieces are consecutive slices of the other runs' ids summing to its
    // size (they hold `more` ids in all).
    unsafe { out.set_len(out.len() + more) };
    lens.extend(others.iter().flat_map(|(_, l)| l.iter().copied()));
    (out, lens)
}

fn input_error(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    exception(py, "InputError", msg.into())
}

/// A Python str as an owned String; a lone surrogate is an InputError.
fn text(py: Python<'_>, o: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let s = o.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: expected str, got {}",
            o.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    with_utf8(str_units(s)?, what, None, |s| Ok(s.to_owned())).map_err(|e| to_py_err(py, e))
}

/// The texts of a batch, read in place: each str's code points as CPython
/// stores them, kept alive by `items` (a tuple of the batch's list, made by
/// the caller: its own references, so that no text goes away while the
/// threads read it, whatever other Python threads do to the list). One pass
/// over the strs, with no reference counting of its own: at 100 B a text,
/// each pass over 20k str headers that miss the cache cost about 1% of a
/// one-thread call, all of it on the calling thread (five passes before:
/// the list copied, each str referenced, read, and let go twice). A
/// TypeError for a non-str, an InputError for a lone surrogate met before
/// it (the first bad text by position, as a text-by-text conversion would
/// report).
fn batch_units<'a, 'py>(
    py: Python<'py>,
    items: &'a Bound<'py, PyTuple>,
    what: &str,
) -> PyResult<Vec<PyStringData<'a>>> {
    let mut units = Vec::with_capacity(items.len());
    for (i, item) in items.iter_borrowed().enumerate() {
        let Ok(s) = item.cast::<PyString>() else {
            for (k, &u) in units.iter().enumerate() {
                with_utf8(u, what, Some(k), |_| Ok(())).map_err(|e| to_py_err(py, e))?;
            }
            let got = item.get_type().name().map(|n| n.to_string());
            return Err(PyTypeError::new_err(format!(
                "{what}: text {i}: expected str, got {}",
                got.unwrap_or_default()
            )));
        };
        // SAFETY: as in `str_units`; the slice lives as long as the str,
        // which `items` holds for all of `'a`, not just as long as `s`.
        let u = unsafe { s.data() }?;
        units.push(unsafe { outliving(u) });
    }
    Ok(units)
}

/// `u` with the lifetime of whatever keeps its str alive.
///
/// # Safety
/// The str `u` was read from must outlive `'a`.
unsafe fn outliving<'a>(u: PyStringData<'_>) -> PyStringData<'a> {
    // SAFETY: same pointer and length; the caller vouches for the lifetime.
    unsafe {
        match u {
            PyStringData::Ucs1(b) => {
                PyStringData::Ucs1(std::slice::from_raw_parts(b.as_ptr(), b.len()))
            }
            PyStringData::Ucs2(b) => {
                PyStringData::Ucs2(std::slice::from_raw_parts(b.as_ptr(), b.len()))
            }
            PyStringData::Ucs4(b) => {
                PyStringData::Ucs4(std::slice::from_raw_parts(b.as_ptr(), b.len()))
            }
        }
    }
}

/// The number of code points of a str read in place.
fn units_len(u: &PyStringData<'_>) -> usize {
    match u {
        PyStringData::Ucs1(b) => b.len(),
        PyStringData::Ucs2(b) => b.len(),
        PyStringData::Ucs4(b) => b.len(),
    }
}

/// A str's code points in place.
fn str_units<'a>(s: &'a Bound<'_, PyString>) -> PyResult<PyStringData<'a>> {
    // SAFETY: `data` reads the str's kind from CPython's bitfield, which
    // PyO3 decodes for the little-endian targets it tests (x86-64 among
    // them, where this crate's tests run); the str is immutable and `s`
    // keeps it alive for as long as the slice is borrowed.
    unsafe { s.data() }
}

thread_local! {
    /// This thread's buffer for the UTF-8 of a text it encodes.
    static UTF8: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A thread's UTF-8 buffer larger than this is let go after use.
const UTF8_KEEP: usize = 16 << 20;

/// `f` on the UTF-8 of a text (`i` of a batch): the str's own bytes when
/// it is ASCII, else its conversion into this thread's buffer (a fresh one
/// if that is in use); an InputError for a lone surrogate.
fn with_utf8<R>(
    units: PyStringData<'_>,
    what: &str,
    i: Option<usize>,
    f: impl FnOnce(&str) -> crate::error::Result<R>,
) -> crate::error::Result<R> {
    use crate::transcode::utf8;
    if let PyStringData::Ucs1(b) = units {
        if let Some(s) = crate::transcode::ascii_str(b) {
            return f(s);
        }
    }
    let run = |buf: &mut Vec<u8>| {
        let s = match units {
            PyStringData::Ucs1(u) => utf8(u, buf),
            PyStringData::Ucs2(u) => utf8(u, buf),
            PyStringData::Ucs4(u) => utf8(u, buf),
        };
        match s {
            Ok(s) => f(s),
            Err(_) => {
                let which = i.map_or_else(|| "the text".to_owned(), |i| format!("text {i}"));
                Err(Error::input(format!(
                    "{what}: {which} contains a lone surrogate, which is not valid Unicode"
                )))
            }
        }
    };
    UTF8.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            let r = run(&mut buf);
            if buf.len() > UTF8_KEEP {
                *buf = Vec::new();
            }
            r
        }
        Err(_) => run(&mut Vec::new()),
    })
}

/// The ids of each text of `list`, on all threads without the GIL (each
/// text read in place and converted by the thread that encodes it).
fn batch_ids(
    py: Python<'_>,
    t: &Tokenizer,
    list: &Bound<'_, PyList>,
    add_special_tokens: bool,
    what: &str,
) -> PyResult<Vec<Vec<u32>>> {
    let items = list.to_tuple();
    let units = batch_units(py, &items, what)?;
    let nested = cut_batch(t, &units, add_special_tokens);
    run(py, || {
        let one = |i: usize, &u: &PyStringData<'_>| {
            with_utf8(u, what, Some(i), |s| t.encode_ids(s, add_special_tokens))
        };
        if nested {
            crate::util::par_map_nested(&units, one)
        } else {
            crate::util::par_map_indexed(&units, one)
        }
    })
}

/// [`Tokenizer::shares_long_parts`] for a batch of strs on the flat-ids
/// path (by code points: no more than their UTF-8 bytes).
fn cut_batch(t: &Tokenizer, units: &[PyStringData<'_>], add_special_tokens: bool) -> bool {
    t.shares_long_parts(units.iter().map(units_len), true, add_special_tokens)
}

fn to_sequence(
    py: Python<'_>,
    o: &Bound<'_, PyAny>,
    pretokenized: bool,
    what: &str,
) -> PyResult<InputSequence<'static>> {
    if pretokenized {
        if o.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(format!(
                "{what}: with is_pretokenized=True, expected a list of str, got str"
            )));
        }
        let mut words = Vec::new();
        for w in o.try_iter()? {
            words.push(Cow::Owned(text(py, &w?, what)?));
        }
        Ok(InputSequence::PreTokenized(words))
    } else {
        Ok(InputSequence::Raw(Cow::Owned(text(py, o, what)?)))
    }
}

fn batch_item(
    py: Python<'_>,
    o: &Bound<'_, PyAny>,
    pretokenized: bool,
) -> PyResult<EncodeInput<'static>> {
    let is_pair = if pretokenized {
        // A pair is a tuple/list of two lists of words.
        (o.is_instance_of::<PyTuple>() || o.is_instance_of::<PyList>())
            && o.len()? == 2
            && !o.get_item(0)?.is_instance_of::<PyString>()
    } else {
        !o.is_instance_of::<PyString>()
    };
    if is_pair {
        let n = o.len()?;
        if n != 2 {
            return Err(PyTypeError::new_err(format!(
                "encode_batch: a pair must have 2 sequences, got {n}"
            )));
        }
        Ok(EncodeInput {
            first: to_sequence(py, &o.get_item(0)?, pretokenized, "encode_batch")?,
            second: Some(to_sequence(
                py,
                &o.get_item(1)?,
                pretokenized,
                "encode_batch",
            )?),
        })
    } else {
        Ok(EncodeInput {
            first: to_sequence(py, o, pretokenized, "encode_batch")?,
            second: None,
        })
    }
}

#[pyclass(module = "fasttok._core", name = "Encoding")]
#[derive(Clone)]
pub struct PyEncoding {
    pub inner: Encoding,
    /// The model whose token strings `inner` may have left empty (see
    /// [`Encoding::tokens`]): they are built when read.
    names: Option<Arc<Model>>,
}

impl PyEncoding {
    fn filled(inner: Encoding) -> Self {
        PyEncoding { inner, names: None }
    }
    fn deferred(inner: Encoding, model: &Arc<Model>) -> Self {
        PyEncoding {
            inner,
            names: Some(model.clone()),
        }
    }
    /// The encoding with every token string built.
    fn full(&self) -> Encoding {
        let mut e = self.inner.clone();
        if let Some(m) = &self.names {
            e.fill_tokens(&|id| m.id_to_token(id));
        }
        e
    }
}

/// Python ints shared by every list of ids and offsets handed out: an id is
/// looked up, not allocated (an int over 256 is otherwise a new object, the
/// largest part of turning an encoding into lists). Grown by powers of two
/// up to [`MAX_SHARED_INT`] (about 8 MiB of ints at most).
///
/// The lock is held only to take or swap the table, never while Python
/// runs: making ints or lists can start the garbage collector, whose
/// callbacks may let another thread take the GIL, and that thread would
/// wait for the lock while this one waits for the GIL (a deadlock seen
/// with 32 threads reading `ids`).
type IntTable = Arc<Vec<Py<PyAny>>>;
static SHARED_INTS: std::sync::Mutex<Option<IntTable>> = std::sync::Mutex::new(None);
const MAX_SHARED_INT: usize = 1 << 18;

/// The shared ints, covering `max` when it is below [`MAX_SHARED_INT`].
fn shared_ints(py: Python<'_>, max: usize) -> PyResult<IntTable> {
    let lock = || {
        SHARED_INTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let table = lock().clone().unwrap_or_default();
    if max < table.len() || max >= MAX_SHARED_INT {
        return Ok(table);
    }
    let want = (max + 1).next_power_of_two().clamp(1024, MAX_SHARED_INT);
    let mut grown = Vec::with_capacity(want);
    grown.extend(table.iter().map(|o| o.clone_ref(py)));
    for v in table.len()..want {
        grown.push(v.into_pyobject(py)?.into_any().unbind());
    }
    let grown = Arc::new(grown);
    let mut g = lock();
    let old = match &*g {
        Some(t) if t.len() >= grown.len() => None,
        _ => g.replace(grown.clone()),
    };
    drop(g);
    // The old table's references go after the lock is released.
    drop(old);
    Ok(grown)
}

fn shared_int<'py>(py: Python<'py>, table: &[Py<PyAny>], v: usize) -> PyResult<Bound<'py, PyAny>> {
    match table.get(v) {
        Some(o) => Ok(o.bind(py).clone()),
        None => Ok(v.into_pyobject(py)?.into_any()),
    }
}

/// `values` as a Python list of ints.
fn int_list<'py>(py: Python<'py>, values: &[u32]) -> PyResult<Bound<'py, PyList>> {
    let max = values.iter().copied().max().unwrap_or(0) as usize;
    let table = shared_ints(py, max)?;
    let items = values
        .iter()
        .map(|&v| shared_int(py, &table, v as usize))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

#[pymethods]
impl PyEncoding {
    #[new]
    fn new() -> Self {
        PyEncoding::filled(Encoding::default())
    }
    #[getter]
    fn ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        int_list(py, &self.inner.ids)
    }
    #[getter]
    fn type_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        int_list(py, &self.inner.type_ids)
    }
    #[getter]
    fn tokens(&self) -> Vec<&str> {
        let name = |id: u32| self.names.as_ref().and_then(|m| m.id_to_token(id));
        self.inner
            .tokens
            .iter()
            .zip(&self.inner.ids)
            .map(|(t, &id)| match t.is_empty() {
                true => name(id).unwrap_or(""),
                false => t.as_str(),
            })
            .collect()
    }
    #[getter]
    fn offsets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let offsets = &self.inner.offsets;
        let max = offsets.iter().map(|o| o.1).max().unwrap_or(0);
        let table = shared_ints(py, max)?;
        let items = offsets
            .iter()
            .map(|&(a, b)| {
                PyTuple::new(py, [shared_int(py, &table, a)?, shared_int(py, &table, b)?])
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }
    #[getter]
    fn attention_mask<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        int_list(py, &self.inner.attention_mask)
    }
    #[getter]
    fn special_tokens_mask<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        int_list(py, &self.inner.special_tokens_mask)
    }
    #[getter]
    fn word_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let words = &self.inner.words;
        let max = words.iter().flatten().copied().max().unwrap_or(0) as usize;
        let table = shared_ints(py, max)?;
        let items = words
            .iter()
            .map(|w| match w {
                Some(v) => shared_int(py, &table, *v as usize),
                None => Ok(py.None().into_bound(py)),
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }
    #[getter]
    fn words<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.word_ids(py)
    }
    #[getter]
    fn sequence_ids(&self) -> Vec<Option<usize>> {
        self.inner.sequence_ids()
    }
    #[getter]
    fn n_sequences(&self) -> usize {
        self.inner.n_sequences()
    }
    #[getter]
    fn overflowing(&self) -> Vec<PyEncoding> {
        self.inner
            .overflowing
            .iter()
            .map(|e| PyEncoding {
                inner: e.clone(),
                names: self.names.clone(),
            })
            .collect()
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "Encoding(num_tokens={}, attributes=[ids, type_ids, tokens, offsets, attention_mask, special_tokens_mask, overflowing])",
            self.inner.len()
        )
    }
    #[pyo3(signature = (word_index, sequence_index=0))]
    fn word_to_tokens(&self, word_index: u32, sequence_index: usize) -> Option<(usize, usize)> {
        self.inner.word_to_tokens(word_index, sequence_index)
    }
    fn token_to_sequence(&self, token_index: usize) -> Option<usize> {
        self.inner.token_to_sequence(token_index)
    }
    /// None for tokens outside every sequence (special tokens), as in `tokenizers`.
    fn token_to_word(&self, token_index: usize) -> Option<u32> {
        self.inner.token_to_sequence(token_index)?;
        self.inner.words.get(token_index).copied().flatten()
    }
    fn token_to_chars(&self, token_index: usize) -> Option<(usize, usize)> {
        self.inner.token_to_sequence(token_index)?;
        self.inner.offsets.get(token_index).copied()
    }
    #[pyo3(signature = (char_pos, sequence_index=0))]
    fn char_to_token(&self, char_pos: usize, sequence_index: usize) -> Option<usize> {
        self.inner.char_to_token(char_pos, sequence_index)
    }
    #[pyo3(signature = (word_index, sequence_index=0))]
    fn word_to_chars(&self, word_index: u32, sequence_index: usize) -> Option<(usize, usize)> {
        let (a, b) = self.inner.word_to_tokens(word_index, sequence_index)?;
        Some((
            self.inner.offsets.get(a)?.0,
            self.inner.offsets.get(b.checked_sub(1)?)?.1,
        ))
    }
    #[pyo3(signature = (char_pos, sequence_index=0))]
    fn char_to_word(&self, char_pos: usize, sequence_index: usize) -> Option<u32> {
        let t = self.inner.char_to_token(char_pos, sequence_index)?;
        self.token_to_word(t)
    }

    /// Merges encodings into one, as `tokenizers`' `Encoding.merge`.
    #[staticmethod]
    #[pyo3(signature = (encodings, growing_offsets=true))]
    fn merge(encodings: Vec<PyRef<'_, PyEncoding>>, growing_offsets: bool) -> PyEncoding {
        PyEncoding::filled(Encoding::merge(
            encodings.iter().map(|e| e.full()),
            growing_offsets,
        ))
    }

    #[pyo3(signature = (length, direction="right", pad_id=0, pad_type_id=0, pad_token="[PAD]"))]
    fn pad(
        &mut self,
        py: Python<'_>,
        length: usize,
        direction: &str,
        pad_id: u32,
        pad_type_id: u32,
        pad_token: &str,
    ) -> PyResult<()> {
        let dir = direction_arg(py, "pad", direction)?;
        self.inner.pad(length, pad_id, pad_type_id, pad_token, dir);
        Ok(())
    }

    #[pyo3(signature = (max_length, stride=0, direction="right"))]
    fn truncate(
        &mut self,
        py: Python<'_>,
        max_length: usize,
        stride: usize,
        direction: &str,
    ) -> PyResult<()> {
        let dir = direction_arg(py, "truncate", direction)?;
        self.inner
            .truncate(max_length, stride, dir)
            .map_err(|e| to_py_err(py, e))
    }

    fn __getstate__(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string(&self.full()).map_err(|e| input_error(py, e.to_string()))
    }
    fn __setstate__(&mut self, py: Python<'_>, state: &str) -> PyResult<()> {
        self.inner = serde_json::from_str(state).map_err(|e| input_error(py, e.to_string()))?;
        self.names = None;
        Ok(())
    }
}

/// A built pipeline component, made from its tokenizer.json object.
#[derive(Clone)]
enum Part {
    Normalizer(Normalizer),
    PreTokenizer(PreTokenizer),
    Model(Arc<Model>),
    PostProcessor(PostProcessor),
    Decoder(Decoder),
}

#[pyclass(module = "fasttok._core", name = "Component", frozen)]
pub struct PyComponent {
    part: Part,
}

fn parse_part(kind: &str, json: &str) -> crate::error::Result<Part> {
    let err = |e: serde_json::Error| Error::Parse {
        location: kind.to_owned(),
        message: e.to_string(),
    };
    Ok(match kind {
        "normalizer" => Part::Normalizer(serde_json::from_str(json).map_err(err)?),
        "pre_tokenizer" => Part::PreTokenizer(serde_json::from_str(json).map_err(err)?),
        "model" => Part::Model(Arc::new(serde_json::from_str(json).map_err(err)?)),
        "post_processor" => Part::PostProcessor(serde_json::from_str(json).map_err(err)?),
        "decoder" => Part::Decoder(serde_json::from_str(json).map_err(err)?),
        other => return Err(Error::config(format!("unknown component kind {other:?}"))),
    })
}

fn part_json(p: &Part) -> crate::error::Result<String> {
    let r = match p {
        Part::Normalizer(x) => serde_json::to_string(x),
        Part::PreTokenizer(x) => serde_json::to_string(x),
        Part::Model(x) => serde_json::to_string(&**x),
        Part::PostProcessor(x) => serde_json::to_string(x),
        Part::Decoder(x) => serde_json::to_string(x),
    };
    r.map_err(|e| Error::config(e.to_string()))
}

#[pymethods]
impl PyComponent {
    #[new]
    fn new(py: Python<'_>, kind: String, json: String) -> PyResult<Self> {
        let part = run(py, move || parse_part(&kind, &json))?;
        Ok(PyComponent { part })
    }

    /// The component's `type` name, without serializing it (a model's
    /// vocabulary can be large).
    fn type_name(&self, py: Python<'_>) -> PyResult<String> {
        if let Part::Model(m) = &self.part {
            return Ok(m.kind().to_owned());
        }
        let json = self.to_json(py)?;
        let v: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| input_error(py, e.to_string()))?;
        Ok(v.get("type")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned())
    }

    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        let p = self.part.clone();
        run(py, move || part_json(&p))
    }

    fn normalize_str(&self, py: Python<'_>, sequence: String) -> PyResult<String> {
        match &self.part {
            Part::Normalizer(n) => run(py, || n.normalize_str(&sequence)),
            _ => Err(PyTypeError::new_err("normalize_str needs a normalizer")),
        }
    }

    fn pre_tokenize_str(
        &self,
        py: Python<'_>,
        sequence: String,
    ) -> PyResult<Vec<(String, (usize, usize))>> {
        match &self.part {
            Part::PreTokenizer(p) => run(py, || p.pre_tokenize_str(&sequence)),
            _ => Err(PyTypeError::new_err(
                "pre_tokenize_str needs a pre-tokenizer",
            )),
        }
    }

    fn decode(&self, py: Python<'_>, tokens: Vec<String>) -> PyResult<String> {
        match &self.part {
            Part::Decoder(d) => run(py, || d.decode(tokens)),
            _ => Err(PyTypeError::new_err("decode needs a decoder")),
        }
    }

    /// The model's tokens for one word: (id, value, (start, end)) byte offsets.
    fn tokenize(&self, py: Python<'_>, sequence: String) -> PyResult<Vec<TokenTuple>> {
        match &self.part {
            Part::Model(m) => run(py, || {
                Ok(m.tokenize(&sequence)?
                    .into_iter()
                    .map(|t| (t.id, t.value, t.offsets))
                    .collect())
            }),
            _ => Err(PyTypeError::new_err("tokenize needs a model")),
        }
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        match &self.part {
            Part::Model(m) => m.token_to_id(token),
            _ => None,
        }
    }

    fn id_to_token(&self, id: u32) -> Option<String> {
        match &self.part {
            Part::Model(m) => m.id_to_token(id).map(str::to_owned),
            _ => None,
        }
    }

    fn get_vocab_size(&self) -> usize {
        match &self.part {
            Part::Model(m) => m.get_vocab_size(),
            _ => 0,
        }
    }

    fn num_special_tokens_to_add(&self, is_pair: bool) -> usize {
        match &self.part {
            Part::PostProcessor(p) => p.added_tokens(is_pair),
            _ => 0,
        }
    }

    /// Runs a post-processor on encodings, as `tokenizers`' `process` does.
    #[pyo3(signature = (encoding, pair=None, add_special_tokens=true))]
    fn process(
        &self,
        py: Python<'_>,
        encoding: PyRef<'_, PyEncoding>,
        pair: Option<PyRef<'_, PyEncoding>>,
        add_special_tokens: bool,
    ) -> PyResult<PyEncoding> {
        match &self.part {
            Part::PostProcessor(p) => {
                let (e, pe) = (encoding.full(), pair.map(|p| p.full()));
                run(py, || {
                    Ok(PyEncoding::filled(p.process(e, pe, add_special_tokens)?))
                })
            }
            _ => Err(PyTypeError::new_err("process needs a post-processor")),
        }
    }
}

/// The tokenizer handle. The pipeline is immutable and shared by `Arc`: an
/// encode takes a reference under a short read lock and runs without the GIL,
/// so any number of Python threads can use one tokenizer at once; setters
/// swap in a modified copy.
#[pyclass(module = "fasttok._core", name = "Tokenizer", frozen)]
pub struct PyTokenizer {
    inner: RwLock<Arc<Tokenizer>>,
}

impl PyTokenizer {
    fn get(&self) -> Arc<Tokenizer> {
        match self.inner.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn update<F>(&self, py: Python<'_>, f: F) -> PyResult<()>
    where
        F: FnOnce(&mut Tokenizer) -> crate::error::Result<()> + Send,
    {
        let mut t = (*self.get()).clone();
        let t = run(py, move || {
            f(&mut t)?;
            Ok(t)
        })?;
        let mut g = match self.inner.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *g = Arc::new(t);
        Ok(())
    }

    fn wrap(t: Tokenizer) -> Self {
        PyTokenizer {
            inner: RwLock::new(Arc::new(t)),
        }
    }
}

#[pymethods]
impl PyTokenizer {
    #[new]
    fn new(model: &PyComponent) -> PyResult<Self> {
        match &model.part {
            Part::Model(m) => Ok(PyTokenizer::wrap(Tokenizer::with_shared_model(m.clone()))),
            _ => Err(PyTypeError::new_err("Tokenizer(model): expected a model")),
        }
    }

    #[staticmethod]
    #[pyo3(signature = (json, origin=None))]
    fn from_str(py: Python<'_>, json: String, origin: Option<String>) -> PyResult<Self> {
        let origin = origin.unwrap_or_else(|| "<string>".to_owned());
        run(py, move || Tokenizer::from_json_str(&json, &origin)).map(PyTokenizer::wrap)
    }

    /// A tiktoken encoding from its rank file's bytes (`origin` names it in errors).
    #[staticmethod]
    #[pyo3(signature = (data, pattern, special_tokens, tiktoken_priority=true, origin=None))]
    fn from_tiktoken_file(
        py: Python<'_>,
        data: Vec<u8>,
        pattern: String,
        special_tokens: Vec<(String, u32)>,
        tiktoken_priority: bool,
        origin: Option<String>,
    ) -> PyResult<Self> {
        let origin = origin.unwrap_or_else(|| "<rank file>".to_owned());
        run(py, move || {
            let text = std::str::from_utf8(&data).map_err(|e| {
                Error::config(format!("{origin}: not UTF-8 at byte {}", e.valid_up_to()))
            })?;
            let ranks = crate::tiktoken::parse_ranks(text, &origin)?;
            tiktoken_tokenizer(ranks, &pattern, special_tokens, tiktoken_priority)
        })
        .map(PyTokenizer::wrap)
    }

    /// A tiktoken encoding from `(token bytes, rank)` pairs.
    #[staticmethod]
    #[pyo3(signature = (ranks, pattern, special_tokens, tiktoken_priority=true))]
    fn from_tiktoken_ranks(
        py: Python<'_>,
        ranks: Vec<(Vec<u8>, u32)>,
        pattern: String,
        special_tokens: Vec<(String, u32)>,
        tiktoken_priority: bool,
    ) -> PyResult<Self> {
        run(py, move || {
            tiktoken_tokenizer(ranks, &pattern, special_tokens, tiktoken_priority)
        })
        .map(PyTokenizer::wrap)
    }

    /// Ids only, for one text, on the calling thread.
    #[pyo3(signature = (text, add_special_tokens=false))]
    fn encode_ids(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        add_special_tokens: bool,
    ) -> PyResult<Vec<u32>> {
        let t = self.get();
        let units = str_units(text)?;
        run(py, move || {
            with_utf8(units, "encode_ids", None, |s| {
                t.encode_ids(s, add_special_tokens)
            })
        })
    }

    /// Ids only, for each text (no Encoding objects).
    #[pyo3(signature = (texts, add_special_tokens=false))]
    fn encode_ids_batch(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyList>,
        add_special_tokens: bool,
    ) -> PyResult<Vec<Vec<u32>>> {
        batch_ids(
            py,
            &self.get(),
            texts,
            add_special_tokens,
            "encode_ids_batch",
        )
    }

    #[staticmethod]
    fn from_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        run(py, move || Tokenizer::from_file(&path)).map(PyTokenizer::wrap)
    }

    #[pyo3(signature = (pretty=false))]
    fn to_str(&self, py: Python<'_>, pretty: bool) -> PyResult<String> {
        let t = self.get();
        run(py, move || t.to_json_string(pretty))
    }

    #[pyo3(signature = (path, pretty=true))]
    fn save(&self, py: Python<'_>, path: std::path::PathBuf, pretty: bool) -> PyResult<()> {
        let t = self.get();
        run(py, move || t.save(&path, pretty))
    }

    #[pyo3(signature = (sequence, pair=None, is_pretokenized=false, add_special_tokens=true))]
    fn encode(
        &self,
        py: Python<'_>,
        sequence: &Bound<'_, PyAny>,
        pair: Option<&Bound<'_, PyAny>>,
        is_pretokenized: bool,
        add_special_tokens: bool,
    ) -> PyResult<PyEncoding> {
        let input = EncodeInput {
            first: to_sequence(py, sequence, is_pretokenized, "encode")?,
            second: match pair {
                Some(p) => Some(to_sequence(py, p, is_pretokenized, "encode")?),
                None => None,
            },
        };
        let t = self.get();
        let model = t.model.clone();
        run(py, move || {
            t.encode_deferred(&input, add_special_tokens, OffsetType::Char)
        })
        .map(|inner| PyEncoding::deferred(inner, &model))
    }

    #[pyo3(signature = (input, is_pretokenized=false, add_special_tokens=true))]
    fn encode_batch(
        &self,
        py: Python<'_>,
        input: &Bound<'_, PyAny>,
        is_pretokenized: bool,
        add_special_tokens: bool,
    ) -> PyResult<Vec<PyEncoding>> {
        let mut inputs = Vec::new();
        for item in input.try_iter()? {
            inputs.push(batch_item(py, &item?, is_pretokenized)?);
        }
        let t = self.get();
        let model = t.model.clone();
        let out = run(py, move || {
            t.encode_batch_deferred(&inputs, add_special_tokens, OffsetType::Char)
        })?;
        Ok(out
            .into_iter()
            .map(|inner| PyEncoding::deferred(inner, &model))
            .collect())
    }

    /// Ids only, for many texts: the ids of all texts one after the other
    /// (little-endian u32, in an [`IdsBuffer`]) and the start of each text
    /// in them (little-endian u64, one more than texts, in a bytearray),
    /// which numpy views without a copy and without a Python object per
    /// token.
    #[pyo3(signature = (input, add_special_tokens=true))]
    fn encode_batch_ids<'py>(
        &self,
        py: Python<'py>,
        input: &Bound<'py, PyList>,
        add_special_tokens: bool,
    ) -> PyResult<(Bound<'py, IdsBuffer>, Bound<'py, PyByteArray>)> {
        let what = "encode_batch_ids";
        let t = self.get();
        let items = input.to_tuple();
        let units = batch_units(py, &items, what)?;
        // Each thread's texts, in order, into one buffer of ids per run,
        // which a run's first text makes big enough for all the texts
        // after it at one id per three chars (most runs end sooner: the
        // room past their end is never touched, so never paged in), so
        // that it seldom grows, and so is seldom copied.
        let mut rest: Vec<usize> = units.iter().map(units_len).collect();
        for i in (1..rest.len()).rev() {
            rest[i - 1] += rest[i];
        }
        let nested = cut_batch(&t, &units, add_special_tokens);
        let step = |(ids, lens): &mut FlatRun, i: usize| {
            let at = ids.len();
            let (Some(&u), Some(&after)) = (units.get(i), rest.get(i)) else {
                return Err(Error::input("encode_batch_ids: a text out of range"));
            };
            // A nested batch has a run per text: only the first, which the
            // others are joined into, gets room for them all.
            if lens.is_empty() && (i == 0 || !nested) {
                ids.reserve(after / 3 + 256);
            }
            with_utf8(u, what, Some(i), |s| {
                t.encode_ids_into(s, add_special_tokens, ids)
            })?;
            lens.push(ids.len() - at);
            Ok(())
        };
        let (ids, lens) = run(py, || {
            let runs = if nested {
                crate::util::par_map_nested(&units, |i, _| {
                    let mut run = FlatRun::default();
                    step(&mut run, i)?;
                    Ok((i, run))
                })?
            } else {
                crate::util::par_runs(units.len(), FlatRun::default, step)?
            };
            Ok(join_runs(runs))
        })?;
        let flat = Bound::new(py, IdsBuffer::new(ids))?;
        let starts = PyByteArray::new_with(py, (lens.len() + 1) * 8, |buf| {
            let mut n: u64 = 0;
            let mut chunks = buf.chunks_exact_mut(8);
            if let Some(c) = chunks.next() {
                c.copy_from_slice(&n.to_le_bytes());
            }
            for (c, &len) in chunks.zip(&lens) {
                n += len as u64;
                c.copy_from_slice(&n.to_le_bytes());
            }
            Ok(())
        })?;
        Ok((flat, starts))
    }

    #[pyo3(signature = (ids, skip_special_tokens=true))]
    fn decode(&self, py: Python<'_>, ids: Vec<i64>, skip_special_tokens: bool) -> PyResult<String> {
        let ids = ids_u32(py, ids)?;
        let t = self.get();
        run(py, move || t.decode(&ids, skip_special_tokens))
    }

    #[pyo3(signature = (sequences, skip_special_tokens=true))]
    fn decode_batch(
        &self,
        py: Python<'_>,
        sequences: Vec<Vec<i64>>,
        skip_special_tokens: bool,
    ) -> PyResult<Vec<String>> {
        let seqs = sequences
            .into_iter()
            .map(|s| ids_u32(py, s))
            .collect::<PyResult<Vec<_>>>()?;
        let t = self.get();
        run(py, move || t.decode_batch(&seqs, skip_special_tokens))
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.get().token_to_id(token)
    }

    fn id_to_token(&self, id: i64) -> Option<String> {
        let id = u32::try_from(id).ok()?;
        self.get().id_to_token(id).map(str::to_owned)
    }

    #[pyo3(signature = (with_added_tokens=true))]
    fn get_vocab(&self, with_added_tokens: bool) -> std::collections::HashMap<String, u32> {
        self.get().get_vocab(with_added_tokens)
    }

    #[pyo3(signature = (with_added_tokens=true))]
    fn get_vocab_size(&self, with_added_tokens: bool) -> usize {
        self.get().get_vocab_size(with_added_tokens)
    }

    /// Added tokens by id, as (content, single_word, lstrip, rstrip, normalized, special).
    fn get_added_tokens_decoder(&self) -> Vec<(u32, AddedTokenTuple)> {
        self.get()
            .added_vocabulary
            .ordered()
            .into_iter()
            .map(|(i, t)| {
                (
                    i,
                    (
                        t.content.clone(),
                        t.single_word,
                        t.lstrip,
                        t.rstrip,
                        t.normalized,
                        t.special,
                    ),
                )
            })
            .collect()
    }

    /// Tokens as (content, single_word, lstrip, rstrip, normalized, special).
    fn add_tokens(
        &self,
        py: Python<'_>,
        tokens: Vec<(String, bool, bool, bool, bool, bool)>,
    ) -> PyResult<usize> {
        let toks: Vec<AddedToken> = tokens
            .into_iter()
            .map(
                |(content, single_word, lstrip, rstrip, normalized, special)| AddedToken {
                    content,
                    single_word,
                    lstrip,
                    rstrip,
                    normalized,
                    special,
                },
            )
            .collect();
        let mut n = 0;
        let np = &mut n;
        self.update(py, move |t| {
            *np = t.add_tokens(&toks)?;
            Ok(())
        })?;
        Ok(n)
    }

    #[getter]
    fn encode_special_tokens(&self) -> bool {
        self.get().added_vocabulary.encode_special_tokens
    }

    #[setter]
    fn set_encode_special_tokens(&self, py: Python<'_>, value: bool) -> PyResult<()> {
        self.update(py, move |t| {
            t.added_vocabulary.encode_special_tokens = value;
            Ok(())
        })
    }

    /// Padding as a JSON object (tokenizer.json's `padding`), or None.
    fn set_padding(&self, py: Python<'_>, json: Option<String>) -> PyResult<()> {
        let p: Option<PaddingParams> = parse_params(py, "padding", json)?;
        self.update(py, move |t| {
            t.padding = p;
            Ok(())
        })
    }

    fn get_padding(&self) -> Option<String> {
        self.get()
            .padding
            .as_ref()
            .and_then(|p| serde_json::to_string(p).ok())
    }

    fn set_truncation(&self, py: Python<'_>, json: Option<String>) -> PyResult<()> {
        let p: Option<TruncationParams> = match json {
            Some(j) => Some(
                serde_json::from_str(&j)
                    .map_err(|e| input_error(py, format!("truncation: {e}")))?,
            ),
            None => None,
        };
        self.update(py, move |t| {
            t.truncation = p;
            Ok(())
        })
    }

    fn get_truncation(&self) -> Option<String> {
        self.get()
            .truncation
            .as_ref()
            .and_then(|p| serde_json::to_string(p).ok())
    }

    fn num_special_tokens_to_add(&self, is_pair: bool) -> usize {
        self.get().num_special_tokens_to_add(is_pair)
    }

    #[pyo3(signature = (encoding, pair=None, add_special_tokens=true))]
    fn post_process(
        &self,
        py: Python<'_>,
        encoding: PyRef<'_, PyEncoding>,
        pair: Option<PyRef<'_, PyEncoding>>,
        add_special_tokens: bool,
    ) -> PyResult<PyEncoding> {
        let t = self.get();
        let (e, pe) = (encoding.full(), pair.map(|p| p.full()));
        run(py, move || t.post_process(e, pe, add_special_tokens)).map(PyEncoding::filled)
    }

    /// Replaces a component ("normalizer", "pre_tokenizer", "model",
    /// "post_processor", "decoder"); None removes it (not the model).
    fn set_component(
        &self,
        py: Python<'_>,
        kind: &str,
        component: Option<&PyComponent>,
    ) -> PyResult<()> {
        let part = component.map(|c| c.part.clone());
        let kind = kind.to_owned();
        self.update(py, move |t| {
            match (kind.as_str(), part) {
                ("normalizer", None) => t.normalizer = None,
                ("normalizer", Some(Part::Normalizer(n))) => t.normalizer = Some(n),
                ("pre_tokenizer", None) => t.pre_tokenizer = None,
                ("pre_tokenizer", Some(Part::PreTokenizer(p))) => t.pre_tokenizer = Some(p),
                ("model", Some(Part::Model(m))) => t.model = m,
                ("post_processor", None) => t.post_processor = None,
                ("post_processor", Some(Part::PostProcessor(p))) => t.post_processor = Some(p),
                ("decoder", None) => t.decoder = None,
                ("decoder", Some(Part::Decoder(d))) => t.decoder = Some(d),
                (k, _) => return Err(Error::config(format!("cannot set {k} to that component"))),
            }
            t.refresh_added_tokens()
        })
    }

    /// The component as its tokenizer.json object (a JSON string), or None.
    fn get_component(&self, py: Python<'_>, kind: &str) -> PyResult<Option<String>> {
        let t = self.get();
        let kind = kind.to_owned();
        run(py, move || {
            let r = match kind.as_str() {
                "normalizer" => t.normalizer.as_ref().map(serde_json::to_string),
                "pre_tokenizer" => t.pre_tokenizer.as_ref().map(serde_json::to_string),
                "model" => Some(serde_json::to_string(&*t.model)),
                "post_processor" => t.post_processor.as_ref().map(serde_json::to_string),
                "decoder" => t.decoder.as_ref().map(serde_json::to_string),
                k => return Err(Error::config(format!("unknown component {k:?}"))),
            };
            r.transpose().map_err(|e| Error::config(e.to_string()))
        })
    }

    /// The component itself (a built handle), or None.
    fn component(&self, kind: &str) -> Option<PyComponent> {
        let t = self.get();
        let part = match kind {
            "normalizer" => Part::Normalizer(t.normalizer.clone()?),
            "pre_tokenizer" => Part::PreTokenizer(t.pre_tokenizer.clone()?),
            "model" => Part::Model(t.model.clone()),
            "post_processor" => Part::PostProcessor(t.post_processor.clone()?),
            "decoder" => Part::Decoder(t.decoder.clone()?),
            _ => return None,
        };
        Some(PyComponent { part })
    }

    fn normalize(&self, py: Python<'_>, sequence: String) -> PyResult<String> {
        let t = self.get();
        run(py, move || match &t.normalizer {
            Some(n) => n.normalize_str(&sequence),
            None => Ok(sequence),
        })
    }

    /// Trains the model on text files; `trainer` is a trainer's JSON, or None
    /// for the model's default trainer.
    #[pyo3(signature = (files, trainer=None, memory_budget=None))]
    fn train(
        &self,
        py: Python<'_>,
        files: Vec<std::path::PathBuf>,
        trainer: Option<String>,
        memory_budget: Option<usize>,
    ) -> PyResult<()> {
        self.update(py, move |t| {
            let trainer = match trainer {
                Some(j) => Trainer::from_json(&j)?,
                None => Trainer::for_model(&t.model)?,
            };
            t.train_files(&trainer, &files, memory_budget)
        })
    }

    /// Trains the model on the words a `WordCounter` has counted.
    #[pyo3(signature = (counter, trainer=None))]
    fn train_counts(
        &self,
        py: Python<'_>,
        counter: &PyWordCounter,
        trainer: Option<String>,
    ) -> PyResult<()> {
        let counts = {
            let mut g = counter.lock();
            g.0.finish()
        };
        let progress = counter.progress_handle();
        self.update(py, move |t| {
            let trainer = match trainer {
                Some(j) => Trainer::from_json(&j)?,
                None => Trainer::for_model(&t.model)?,
            };
            progress.finish();
            let progress = Progress::new(trainer.show_progress());
            t.train_from_counts(&trainer, &counts, &progress)
        })
    }
}

/// Word counts gathered batch by batch, for `train_from_iterator`.
#[pyclass(module = "fasttok._core", name = "WordCounter", frozen)]
pub struct PyWordCounter {
    inner: std::sync::Mutex<(WordCounter, Arc<Progress>)>,
}

impl PyWordCounter {
    fn lock(&self) -> std::sync::MutexGuard<'_, (WordCounter, Arc<Progress>)> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
    fn progress_handle(&self) -> Arc<Progress> {
        self.lock().1.clone()
    }
}

#[pymethods]
impl PyWordCounter {
    #[new]
    #[pyo3(signature = (show_progress=false, length=None, memory_budget=None))]
    fn new(show_progress: bool, length: Option<u64>, memory_budget: Option<usize>) -> Self {
        let p = Progress::new(show_progress);
        p.stage("Count words", length.unwrap_or(0));
        PyWordCounter {
            inner: std::sync::Mutex::new((WordCounter::with_budget(memory_budget), Arc::new(p))),
        }
    }

    /// Counts the words of a batch of sequences, without the GIL.
    fn add(&self, py: Python<'_>, tokenizer: &PyTokenizer, sequences: Vec<String>) -> PyResult<()> {
        let t = tokenizer.get();
        run(py, || {
            let mut g = self.lock();
            let n = sequences.len() as u64;
            let (counter, progress) = &mut *g;
            counter.add(&t, &sequences, progress)?;
            progress.inc(n);
            Ok(())
        })
    }

    fn __len__(&self) -> usize {
        self.lock().0.len()
    }
}

/// A tiktoken encoding as a tokenizer: its pattern, then byte-level BPE; the
/// special tokens (with their ids) as added tokens.
fn tiktoken_tokenizer(
    ranks: Vec<(Vec<u8>, u32)>,
    pattern: &str,
    special_tokens: Vec<(String, u32)>,
    tiktoken_priority: bool,
) -> crate::error::Result<Tokenizer> {
    use serde_json::json;
    let bpe = crate::tiktoken::bpe_from_ranks(&ranks, tiktoken_priority)?;
    let mut t = Tokenizer::new(Model::BPE(bpe));
    let spec = json!({
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": crate::tiktoken::pattern_for_oniguruma(pattern)},
             "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
        ],
    });
    t.pre_tokenizer =
        Some(serde_json::from_value(spec).map_err(|e| Error::config(format!("pattern: {e}")))?);
    let dec = json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true});
    t.decoder = Some(serde_json::from_value(dec).map_err(|e| Error::config(e.to_string()))?);
    if special_tokens.is_empty() {
        return Ok(t);
    }
    // Special tokens keep their own ids: written into the document and read back.
    let mut doc = t.to_value()?;
    let added: Vec<serde_json::Value> = special_tokens
        .iter()
        .map(|(content, id)| {
            json!({"id": id, "content": content, "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    doc["added_tokens"] = serde_json::Value::Array(added);
    Tokenizer::from_json_str(&doc.to_string(), "<tiktoken>")
}

fn direction_arg(py: Python<'_>, what: &str, s: &str) -> PyResult<crate::encoding::Direction> {
    crate::encoding::Direction::parse(s).ok_or_else(|| {
        input_error(
            py,
            format!("{what}: direction must be left or right, got {s:?}"),
        )
    })
}

fn parse_params<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    what: &str,
    json: Option<String>,
) -> PyResult<Option<T>> {
    json.map(|j| serde_json::from_str(&j).map_err(|e| input_error(py, format!("{what}: {e}"))))
        .transpose()
}

fn ids_u32(py: Python<'_>, ids: Vec<i64>) -> PyResult<Vec<u32>> {
    ids.into_iter()
        .map(|i| {
            u32::try_from(i)
                .map_err(|_| input_error(py, format!("decode: id {i} is not a valid token id")))
        })
        .collect()
}

/// Threads used by batch calls.
#[pyfunction]
fn num_threads() -> usize {
    crate::util::pool().current_num_threads()
}

#[pymodule(gil_used = false)]
mod _core {
    #[pymodule_export]
    use super::num_threads;
    #[pymodule_export]
    use super::IdsBuffer;
    #[pymodule_export]
    use super::PyComponent;
    #[pymodule_export]
    use super::PyEncoding;
    #[pymodule_export]
    use super::PyTokenizer;
    #[pymodule_export]
    use super::PyWordCounter;

    #[pymodule_init]
    fn init(m: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
        use pyo3::types::PyModuleMethods;
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
