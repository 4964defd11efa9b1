//! RFC 8785 (JSON Canonicalization Scheme) serialisation and SHA-256 hex digests.
//!
//! Delta hashes and the transaction hash chain are computed over this form, so the same
//! logical value always hashes the same regardless of key order or formatting.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The canonical JSON text of `value` (RFC 8785).
pub fn to_canonical_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes.as_ref());
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

/// SHA-256 hex of the canonical JSON of `value`.
pub fn canonical_hash(value: &Value) -> String {
    sha256_hex(to_canonical_string(value))
}

/// Appends the canonical JSON text of `value` (RFC 8785) to `out`.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|(a, _), (b, _)| utf16_order(a, b));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// The order of `a` and `b` by UTF-16 code units. Bytes give the same order unless a
/// character beyond U+FFFF meets one in U+E000..=U+FFFF, so ASCII names skip the encoding.
fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// Largest integer an IEEE double holds exactly; beyond it JSON numbers are doubles in JCS.
const MAX_SAFE_INTEGER: u64 = 1 << 53;

fn write_number(out: &mut String, number: &serde_json::Number) {
    if let Some(unsigned) = number.as_u64()
        && unsigned <= MAX_SAFE_INTEGER
    {
        let _ = write!(out, "{unsigned}");
        return;
    }
    if let Some(signed) = number.as_i64()
        && signed.unsigned_abs() <= MAX_SAFE_INTEGER
    {
        let _ = write!(out, "{signed}");
        return;
    }
    // serde_json never holds NaN or infinities, so as_f64 always yields a finite double here.
    let double = number.as_f64().unwrap_or(0.0);
    write_ecmascript_double(out, double);
}

/// ECMAScript `Number.prototype.toString` for a finite double (ECMA-262 §7.1.12.1).
fn write_ecmascript_double(out: &mut String, value: f64) {
    if value == 0.0 {
        // Both +0 and -0 serialise as "0".
        out.push('0');
        return;
    }
    if value < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` yields the shortest round-tripping digits, like ECMAScript requires.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exponent + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int_part, frac_part) = digits.split_at(n as usize);
        out.push_str(int_part);
        out.push('.');
        out.push_str(frac_part);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let shown = n - 1;
        let _ = write!(out, "e{}{}", if shown < 0 { '-' } else { '+' }, shown.abs());
    }
}

/// Appends `text` as a canonical JSON string (RFC 8785 §3.2.2.2: only `"`, `\` and control
/// characters are escaped).
pub fn write_string(out: &mut String, text: &str) {
    out.push('"');
    // Runs of characters that need no escape are copied whole.
    let mut plain = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x09 => "\\t",
            0x0A => "\\n",
            0x0C => "\\f",
            0x0D => "\\r",
            0x00..=0x1F => "",
            _ => continue,
        };
        out.push_str(&text[plain..at]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        plain = at + 1;
    }
    out.push_str(&text[plain..]);
    out.push('"');
}

#[cfg(test)]
// The RFC's sample numbers are written with more digits than a double holds, on purpose.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number(text: &str) -> String {
        let value: Value = serde_json::from_str(text).unwrap();
        to_canonical_string(&value)
    }

    /// From a Rust literal: serde_json's default float parser is not always correctly
    /// rounded, Rust's is, and the formatter must be judged on the exact double.
    fn double(value: f64) -> String {
        to_canonical_string(&Value::from(value))
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // RFC 8785 §3.2.3 example: U+1F600 (surrogates D83D..) sorts before U+FB33 in UTF-16,
        // although it sorts after it in UTF-8 / code points.
        let value = json!({"\u{fb33}": 1, "\u{1f600}": 2, "a": 3, "\r": 4, "1": 5});
        assert_eq!(
            to_canonical_string(&value),
            "{\"\\r\":4,\"1\":5,\"a\":3,\"\u{1f600}\":2,\"\u{fb33}\":1}"
        );
    }

    #[test]
    fn ecmascript_number_formatting() {
        // Values from the RFC 8785 appendix and ECMA-262 examples.
        assert_eq!(number("0"), "0");
        assert_eq!(number("-0.0"), "0");
        assert_eq!(number("1.0"), "1");
        assert_eq!(number("1e21"), "1e+21");
        assert_eq!(number("1e20"), "100000000000000000000");
        assert_eq!(double(123456789012345680000.0), "123456789012345680000");
        assert_eq!(number("0.000001"), "0.000001");
        assert_eq!(number("1e-7"), "1e-7");
        assert_eq!(number("4.50"), "4.5");
        assert_eq!(number("2e-3"), "0.002");
        assert_eq!(double(333333333.33333329), "333333333.3333333");
        assert_eq!(number("1E30"), "1e+30");
        assert_eq!(number("-5e-324"), "-5e-324");
        assert_eq!(number("1.7976931348623157e308"), "1.7976931348623157e+308");
        assert_eq!(number("9007199254740993"), "9007199254740992");
        assert_eq!(number("-42"), "-42");
    }

    #[test]
    fn string_escaping_follows_rfc8785() {
        let value = json!("a\"b\\c\u{08}\u{0c}\n\r\t\u{01}\u{1f}\u{7f}\u{2028}é");
        assert_eq!(
            to_canonical_string(&value),
            "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\u{2028}é\""
        );
    }

    #[test]
    fn rfc8785_sample_object() {
        // RFC 8785 §3.2.2 sample input (first number set from a Rust literal, see `double`).
        let mut value: Value = serde_json::from_str(
            r#"{"numbers": [0, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
                "literals": [null, true, false]}"#,
        )
        .unwrap();
        value["numbers"][0] = Value::from(333333333.33333329_f64);
        assert_eq!(
            to_canonical_string(&value),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn hash_is_stable_across_key_order_and_pinned() {
        let a: Value =
            serde_json::from_str(r#"{"b": [1, 2.5], "a": {"y": null, "x": "é"}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{ "a": {"x": "é", "y": null}, "b": [1, 2.50] }"#).unwrap();
        assert_eq!(canonical_hash(&a), canonical_hash(&b));
        assert_eq!(
            to_canonical_string(&a),
            r#"{"a":{"x":"é","y":null},"b":[1,2.5]}"#
        );
        // Pinned so that a change of the canonical form (which would invalidate every stored
        // hash) fails loudly. Value: sha256 of the canonical text above.
        assert_eq!(
            canonical_hash(&a),
            "b5e6f8f1f47f9d47562da1bf1f470597594c9691d588e0cc4b1e04a9c0b8a056"
        );
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
