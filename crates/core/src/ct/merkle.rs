//! RFC 6962 §2.1 tree hashes, computed as entries stream past.
//!
//! A log's tree over `n` leaves is the left-to-right fold of the perfect subtrees that
//! the binary form of `n` names, so the compact "frontier" (at most one subtree hash per
//! bit of `n`) is all a follower must keep to know the root after every leaf. It is what
//! the store keeps per log: a run resumes exactly where the last one stopped and still
//! checks the whole log against the signed tree head, in memory bounded by 64 hashes.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// `SHA-256(0x00 || leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The perfect subtrees over the first `size` leaves, largest (leftmost) first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// One hash per set bit of `size`, from the highest bit down.
    subtrees: Vec<Hash>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontierError {
    #[error("stored Merkle frontier is malformed: {0}")]
    Malformed(&'static str),
}

impl Frontier {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn push_leaf_hash(&mut self, mut hash: Hash) {
        // Merge equal-height subtrees like a binary counter's carries.
        let mut size = self.size;
        while size & 1 == 1 {
            let left = self.subtrees.pop().unwrap_or_default();
            hash = node_hash(&left, &hash);
            size >>= 1;
        }
        self.subtrees.push(hash);
        self.size += 1;
    }

    pub fn push_leaf(&mut self, leaf: &[u8]) {
        self.push_leaf_hash(leaf_hash(leaf));
    }

    /// The tree head of the leaves pushed so far; the empty tree hashes to SHA-256("").
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        match subtrees.next() {
            None => Sha256::digest([]).into(),
            Some(last) => subtrees.fold(*last, |right, left| node_hash(left, &right)),
        }
    }

    /// `size:hex,hex,…`: what the store keeps.
    pub fn to_text(&self) -> String {
        let hashes: Vec<String> = self.subtrees.iter().map(hex::encode).collect();
        format!("{}:{}", self.size, hashes.join(","))
    }

    pub fn from_text(text: &str) -> Result<Frontier, FrontierError> {
        let (size, hashes) = text
            .split_once(':')
            .ok_or(FrontierError::Malformed("no `size:`"))?;
        let size: u64 = size
            .parse()
            .map_err(|_| FrontierError::Malformed("size is not a number"))?;
        let subtrees = hashes
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| {
                hex::decode(h)
                    .ok()
                    .and_then(|b| Hash::try_from(b.as_slice()).ok())
                    .ok_or(FrontierError::Malformed("hash is not 32 bytes of hex"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if subtrees.len() != size.count_ones() as usize {
            return Err(FrontierError::Malformed(
                "hash count does not match the size",
            ));
        }
        Ok(Frontier { size, subtrees })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook recursive definition of RFC 6962 §2.1, to check the streaming one.
    fn mth(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn streaming_root_matches_the_recursive_definition_for_every_size_up_to_70() {
        let leaves: Vec<Vec<u8>> = (0..70u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), mth(&[]));
        for n in 1..=leaves.len() {
            frontier.push_leaf(&leaves[n - 1]);
            assert_eq!(frontier.root(), mth(&leaves[..n]), "size {n}");
            let again = Frontier::from_text(&frontier.to_text()).unwrap();
            assert_eq!(again, frontier);
        }
    }

    #[test]
    fn empty_tree_is_the_hash_of_nothing_as_the_rfc_says() {
        assert_eq!(
            hex::encode(Frontier::default().root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_damaged_frontier_is_refused() {
        assert!(Frontier::from_text("3:00").is_err());
        assert!(Frontier::from_text("x:").is_err());
        assert!(Frontier::from_text("1:zz").is_err());
    }
}
