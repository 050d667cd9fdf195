//! The Argon2 working memory a caller owns and lends to each hashing run.

use argon2::{Argon2, Block, Params};
use zeroize::Zeroize as _;

/// Argon2 working memory for one run at a time (19 MiB with today's
/// parameters), allocated once and reused: a stored hash that needs more
/// than this is refused, not given more.
pub struct HashingMemory(Vec<Block>);

impl HashingMemory {
    pub(super) fn for_params(params: &Params) -> Self {
        Self(vec![Block::new(); params.block_count()])
    }

    /// The size of this memory in bytes.
    pub fn bytes(&self) -> usize {
        self.0.len() * Block::SIZE
    }

    /// Runs Argon2 in this memory, then wipes what the run used: the blocks
    /// are derived from the password.
    pub(super) fn derive(
        &mut self,
        argon2: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        output: &mut [u8],
    ) -> Result<(), argon2::Error> {
        let result = argon2.hash_password_into_with_memory(password, salt, output, &mut self.0[..]);
        let used = argon2.params().block_count().min(self.0.len());
        self.0[..used].iter_mut().for_each(|block| block.zeroize());
        result
    }
}

impl std::fmt::Debug for HashingMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HashingMemory({} KiB)", self.bytes() / 1024)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::super::PasswordHasher;
    use crate::password::NewPassword;

    #[test]
    fn the_working_memory_is_wiped_after_each_run() {
        let hasher = PasswordHasher::new().unwrap();
        let mut memory = hasher.memory();
        hasher
            .hash(
                &NewPassword::from_verified(SecretString::from("correct horse battery".to_owned()))
                    .unwrap(),
                &mut memory,
            )
            .unwrap();
        assert!(
            memory
                .0
                .iter()
                .all(|block| block.as_ref().iter().all(|&w| w == 0))
        );
    }
}
