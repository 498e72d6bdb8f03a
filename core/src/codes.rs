//! One code table per enum, generated: `codes!` declares the enum and its stored or URL codes in one
//! list, so `ALL`, `code()` and `from_code()` cannot disagree and a variant cannot be forgotten
//! (a variant without a code does not compile; two variants with one code are an unreachable
//! pattern, which the lints refuse).

/// An enum with a code per variant (what a URL, a form or a table holds).
pub trait Code: Copy + Sized + 'static {
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn from_code(code: &str) -> Option<Self>;
}

/// Declares an enum whose variants each have a code:
/// `codes! { /// doc  #[derive(..)] pub enum Name { /// doc  Variant = "code", … } }`.
/// The enum gets inherent `ALL`, `code()` and `from_code()`, the [`Code`] trait, `FromStr`, and
/// serde as its code (so a form, a URL or JSON holds the same word; an unknown one is refused
/// with the known ones named).
#[macro_export]
macro_rules! codes {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            #[deny(unreachable_patterns)]
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The variant by its Rust name, as values stored before codes were the serde form read.
            fn from_variant_name(name: &str) -> Option<$name> {
                match name { $(stringify!($variant) => Some($name::$variant),)+ _ => None }
            }
        }

        impl $crate::codes::Code for $name {
            const ALL: &'static [$name] = $name::ALL;
            fn code(self) -> &'static str {
                $name::code(self)
            }
            fn from_code(code: &str) -> Option<$name> {
                $name::from_code(code)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::codes::UnknownCode;
            fn from_str(s: &str) -> Result<$name, $crate::codes::UnknownCode> {
                $name::from_code(s).ok_or($crate::codes::UnknownCode)
            }
        }

        impl $crate::codes::serde::Serialize for $name {
            fn serialize<S: $crate::codes::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> $crate::codes::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::codes::serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                $crate::codes::from_code_or_say(d, $name::from_variant_name)
            }
        }
    };
}

#[doc(hidden)]
pub use serde;

/// Reads a code (or a variant's Rust name, the serde form of values stored before), or says which
/// codes there are.
#[doc(hidden)]
pub fn from_code_or_say<'de, D: serde::Deserializer<'de>, T: Code>(d: D, by_name: fn(&str) -> Option<T>) -> Result<T, D::Error> {
    let raw = <String as serde::Deserialize>::deserialize(d)?;
    T::from_code(&raw).or_else(|| by_name(&raw)).ok_or_else(|| {
        let known: Vec<&str> = T::ALL.iter().map(|v| v.code()).collect();
        let shown: String = raw.chars().filter(|c| !c.is_control()).take(40).collect();
        serde::de::Error::custom(format!("{shown:?} is not one of {}", known.join(", ")))
    })
}

/// For `#[serde(deserialize_with)]` on an `Option` of a coded enum: an absent or empty value (a
/// form's "any") is none; any other must be a code.
pub fn none_if_empty<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Code + serde::Deserialize<'de>,
{
    use serde::de::IntoDeserializer;
    match <Option<String> as serde::Deserialize>::deserialize(d)?.as_deref() {
        None | Some("") => Ok(None),
        Some(raw) => T::deserialize(raw.into_deserializer()).map(Some),
    }
}

/// A code no variant has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not one of the known codes")]
pub struct UnknownCode;

/// Every code of `T` reads back to its variant and no two variants share one (for tests).
pub fn round_trips<T: Code + PartialEq + std::fmt::Debug>() -> bool {
    T::ALL.iter().all(|v| T::from_code(v.code()) == Some(*v))
        && T::ALL.iter().enumerate().all(|(i, a)| T::ALL[i + 1..].iter().all(|b| a.code() != b.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    codes! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Colour {
            Red = "red",
            /// A second one.
            Green = "green",
        }
    }

    #[test]
    fn the_table_is_generated_from_one_list() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::Green]);
        assert_eq!(Colour::Green.code(), "green");
        assert_eq!(Colour::from_code("red"), Some(Colour::Red));
        assert_eq!(Colour::from_code("blue"), None);
        assert_eq!("green".parse::<Colour>(), Ok(Colour::Green));
        assert!(round_trips::<Colour>());
    }

    #[test]
    fn serde_holds_the_code_and_an_unknown_one_names_the_known() {
        assert_eq!(serde_json::to_string(&Colour::Green).unwrap(), "\"green\"");
        assert_eq!(serde_json::from_str::<Colour>("\"red\"").unwrap(), Colour::Red);
        assert_eq!(serde_json::from_str::<Colour>("\"Green\"").unwrap(), Colour::Green, "as stored before");
        let e = serde_json::from_str::<Colour>("\"blue\"").unwrap_err().to_string();
        assert!(e.contains("red, green"), "{e}");
    }

    #[test]
    fn an_empty_choice_is_none_and_an_unknown_one_is_refused() {
        #[derive(serde::Deserialize)]
        struct View {
            #[serde(default, deserialize_with = "none_if_empty")]
            colour: Option<Colour>,
        }
        let read = |json: &str| serde_json::from_str::<View>(json).map(|v| v.colour);
        assert_eq!(read(r#"{"colour":""}"#).unwrap(), None);
        assert_eq!(read(r#"{}"#).unwrap(), None);
        assert_eq!(read(r#"{"colour":null}"#).unwrap(), None);
        assert_eq!(read(r#"{"colour":"green"}"#).unwrap(), Some(Colour::Green));
        assert!(read(r#"{"colour":"blue"}"#).is_err());
    }
}
