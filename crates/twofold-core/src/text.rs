//! Character classes shared by the rules for text people type and others see
//! (email addresses, factor names).

/// Bidirectional controls: they reorder the text shown around them, so
/// `"Phone \u{202E}txt.exe"` is displayed as `Phone exe.txt`.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Invisible formatting characters (bidirectional controls, zero-width
/// characters, soft hyphen, BOM) that would let two texts look alike.
pub(crate) fn is_invisible_format(c: char) -> bool {
    is_bidi_control(c)
        || matches!(c,
            '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_a_subset_of_the_invisible_characters() {
        let bidi = [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ];
        for c in bidi {
            assert!(is_bidi_control(c), "{c:?}");
            assert!(is_invisible_format(c), "{c:?}");
        }
        // Joiners shape emoji and some scripts: invisible, but not bidi.
        assert!(!is_bidi_control('\u{200D}'));
        assert!(is_invisible_format('\u{200D}'));
        assert!(!is_invisible_format('a'));
        assert!(!is_invisible_format('é'));
    }
}
