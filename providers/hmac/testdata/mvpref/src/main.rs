// Reference vectors from the MVP's exact crates:
// keygen(seed) = ChaCha20Rng::seed_from_u64(seed).fill_bytes(32)
// sign(key, payload) = HMAC-SHA256(key, payload)
use hmac::{Hmac, Mac};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::Sha256;

fn keygen(seed: u64) -> [u8; 32] {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut k = [0u8; 32];
    rng.fill_bytes(&mut k);
    k
}

fn sign(key: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    m.update(payload);
    m.finalize().into_bytes().to_vec()
}

fn main() {
    let seeds: [u64; 12] = [0, 1, 2, 7, 42, 255, 256, 65535, 1 << 32, 0xdeadbeef, u64::MAX - 1, u64::MAX];
    let payloads: [&[u8]; 4] = [b"", b"hello deterministic world", b"x", &[0xffu8; 200]];
    println!("[");
    let mut first = true;
    for s in seeds.iter() {
        let k = keygen(*s);
        for p in payloads.iter() {
            if !first { println!(","); }
            first = false;
            print!("  {{\"seed\": \"{}\", \"key\": \"{}\", \"payload\": \"{}\", \"tag\": \"{}\"}}", s, hex::encode(k), hex::encode(p), hex::encode(sign(&k, p)));
        }
    }
    println!("\n]");
}
