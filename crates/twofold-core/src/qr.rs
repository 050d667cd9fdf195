//! QR codes as inline SVG: dark on white with a quiet zone, so any camera
//! app (and `zbarimg`) reads it, and no `data:` image is needed under the CSP.

use qrcode::QrCode;
use qrcode::render::svg;

/// Renders `text` as an `<svg>` element (no XML declaration, ready to
/// embed in HTML). `None` only if the text is too long for any QR code.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_uri_becomes_an_embeddable_svg() {
        let svg =
            super::svg("otpauth://totp/twofold:a%40b.example?secret=ABC&issuer=twofold").unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("fill=\"#ffffff\"") && svg.contains("fill=\"#000000\""));
        assert!(super::svg(&"x".repeat(10_000)).is_none());
    }
}
