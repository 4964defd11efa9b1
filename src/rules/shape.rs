//! Mappings whose shape is checked where they are read, so a shape error carries the
//! mapping's file:line:column as a serde error does. plumb's and Kensa's raw shapes share it.

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// A raw shape with checks serde's derive cannot express (one of several keys, a method's
/// parameters).
pub trait Shape: DeserializeOwned {
    /// What a mapping of this shape is, for serde's "expected ..." messages.
    const EXPECTING: &'static str;
    fn validate_shape(&self) -> Result<(), String>;
}

/// A `T` whose shape was validated where it was read.
#[derive(Clone, Debug)]
pub struct Checked<T>(pub T);

fn read_checked<'de, T: Shape, A: MapAccess<'de>>(map: A) -> Result<T, A::Error> {
    let value = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
    value.validate_shape().map_err(de::Error::custom)?;
    Ok(value)
}

impl<'de, T: Shape> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);
        impl<'de, T: Shape> Visitor<'de> for MapVisitor<T> {
            type Value = Checked<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Checked<T>, A::Error> {
                read_checked(map).map(Checked)
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// A file of one `T` mapping or a list of them; an empty file holds none.
pub struct OneOrList<T>(pub Vec<T>);

impl<'de, T: Shape> Deserialize<'de> for OneOrList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FileVisitor<T>(PhantomData<T>);
        impl<'de, T: Shape> Visitor<'de> for FileVisitor<T> {
            type Value = OneOrList<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} or a list of them", T::EXPECTING)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OneOrList<T>, A::Error> {
                Ok(OneOrList(vec![read_checked(map)?]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrList<T>, A::Error> {
                let mut items = Vec::new();
                while let Some(Checked(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OneOrList(items))
            }
            fn visit_unit<E: de::Error>(self) -> Result<OneOrList<T>, E> {
                Ok(OneOrList(Vec::new()))
            }
        }
        deserializer.deserialize_any(FileVisitor(PhantomData))
    }
}
