//! A bounds-checked reader over bytes from the network: every read returns `None`
//! instead of panicking when the input is short, so parsers built on it are total.

#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]))
    }

    /// A vector with a one-byte length prefix.
    pub fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    pub fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    pub fn vec24(&mut self) -> Option<&'a [u8]> {
        let n = self.u24()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn short_input_yields_none_never_a_panic() {
        let mut c = Cursor::new(&[0, 5, 1, 2]);
        assert_eq!(c.vec16(), None);
        let mut c = Cursor::new(&[1]);
        assert_eq!(c.u16(), None);
        assert_eq!(c.u8(), Some(1));
        assert_eq!(c.u8(), None);
        assert_eq!(Cursor::new(&[0, 0, 2, 9, 9]).vec24(), Some(&[9u8, 9][..]));
    }
}
