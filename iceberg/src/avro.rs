//! Just enough of Avro's object container format to write Iceberg's
//! manifests and manifest lists: one uncompressed block, values encoded
//! by the caller against a schema it also supplies.
//!
//! Key decision: a hand-written encoder of the binary encoding (zigzag
//! varints, length-prefixed strings, unions by branch index, blocked
//! arrays) instead of `apache-avro` or the `iceberg` crate. The two files
//! Iceberg needs have fixed schemas written out in `manifest.rs`, so a
//! general Avro library would buy nothing but build time; the files are
//! read back in the tests by arrow-avro (already in the build), fastavro,
//! pyiceberg and DuckDB.

/// Values in Avro's binary encoding, appended to one buffer.
#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    pub fn long(&mut self, v: i64) -> &mut Self {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        loop {
            let byte = (z & 0x7f) as u8;
            z >>= 7;
            if z == 0 {
                self.buf.push(byte);
                return self;
            }
            self.buf.push(byte | 0x80);
        }
    }

    pub fn int(&mut self, v: i32) -> &mut Self {
        self.long(v as i64)
    }

    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.long(v.len() as i64);
        self.buf.extend_from_slice(v);
        self
    }

    pub fn string(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    /// The branch of a `["null", T]` union: `null`, or `T` to follow.
    pub fn null(&mut self) -> &mut Self {
        self.long(0)
    }

    /// The `T` branch of a `["null", T]` union; the value follows.
    pub fn some(&mut self) -> &mut Self {
        self.long(1)
    }

    /// An array of `n` items, each written by `item`, in one block.
    pub fn array<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) -> &mut Self {
        if !items.is_empty() {
            self.long(items.len() as i64);
            for i in items {
                item(self, i);
            }
        }
        self.long(0)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// An object container file: the header (the schema and `metadata`), one
/// block holding `count` records already encoded in `records`, and the
/// sync marker, which is derived from the contents so that the same
/// records always give the same bytes.
pub fn container(schema: &str, metadata: &[(&str, &str)], count: usize, records: &[u8]) -> Vec<u8> {
    let sync = marker(schema, records);
    let mut out = Encoder::default();
    out.buf.extend_from_slice(b"Obj\x01");
    let mut meta: Vec<(&str, &str)> = vec![("avro.schema", schema), ("avro.codec", "null")];
    meta.extend_from_slice(metadata);
    out.array(&meta, |e, (k, v)| {
        e.string(k).string(v);
    });
    out.buf.extend_from_slice(&sync);
    if count > 0 {
        out.long(count as i64).bytes(records);
        out.buf.extend_from_slice(&sync);
    }
    out.into_bytes()
}

fn marker(schema: &str, records: &[u8]) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(schema.as_bytes())
        .chain_update(records)
        .finalize();
    let mut m = [0u8; 16];
    m.copy_from_slice(&digest[..16]);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longs(v: i64) -> Vec<u8> {
        let mut e = Encoder::default();
        e.long(v);
        e.into_bytes()
    }

    #[test]
    fn longs_are_zigzag_varints_as_the_specification_gives_them() {
        // The specification's own table.
        assert_eq!(longs(0), [0x00]);
        assert_eq!(longs(-1), [0x01]);
        assert_eq!(longs(1), [0x02]);
        assert_eq!(longs(-2), [0x03]);
        assert_eq!(longs(2), [0x04]);
        assert_eq!(longs(-64), [0x7f]);
        assert_eq!(longs(64), [0x80, 0x01]);
        assert_eq!(longs(i64::MAX).len(), 10);
        assert_eq!(longs(i64::MIN).len(), 10);
    }

    #[test]
    fn strings_and_arrays_are_length_prefixed_and_blocked() {
        let mut e = Encoder::default();
        e.string("foo").array(&[1i64, 2], |e, v| {
            e.long(*v);
        });
        e.array::<i64>(&[], |_, _| {});
        assert_eq!(
            e.into_bytes(),
            [0x06, b'f', b'o', b'o', 0x04, 0x02, 0x04, 0x00, 0x00]
        );
    }
}
