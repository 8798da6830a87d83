//! MBR and GPT readers on arbitrary bytes: a table or an error, never a
//! panic; an MBR read is written back to the same table.

use kir_core::disk::{Gpt, Mbr};

pub fn check(data: &[u8]) {
    if let Ok(mbr) = Mbr::parse(data) {
        let sector = mbr.to_sector().expect("a parsed MBR has at most 4 entries");
        let again = Mbr::parse(&sector).expect("a written MBR parses");
        assert_eq!(again, mbr);
    }
    let _ = Gpt::parse(data);
}
