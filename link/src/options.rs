//! The link options every program gives, defined once: where the peer is (a connection
//! string), who we are on the link (system and component id) and MAVLink 2 signing.
//!
//! [`LinkOptions`] is a clap argument group: `planner upload` and `planner fly` flatten it
//! (`--connect`, `--system-id`, `--component-id`, `--signing-key`, `--require-signing`). Its
//! defaults depend on who we are ([`LinkRole`]): a ground station is 255/190
//! (MAV_COMP_ID_MISSIONPLANNER), an onboard computer shares the vehicle's system id 1 as
//! component 191 (MAV_COMP_ID_ONBOARD_COMPUTER). The sim, which serves several links at once
//! like an autopilot's serial ports, flattens only [`SigningOptions`]. The companion's TOML
//! `[flight_controller]` table has the same keys (`address` deserialises as an [`Address`];
//! `[flight_controller.signing]` `key_hex` is parsed by [`SigningKey`]) and hands them over
//! as a `LinkOptions<Onboard>`. It does not embed the struct with `#[serde(flatten)]`: serde
//! then stops listing the expected keys when a key is misspelt (which the companion's
//! configuration errors and tests rely on), and a TOML parse error would quote the key.
//!
//! A signing key is parsed in one place, [`SigningKey`]'s `FromStr`, and never printed.
//!
//! ```
//! use clap::Parser;
//! use qly_link::options::{GroundStation, LinkOptions};
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     link: LinkOptions<GroundStation>,
//! }
//! let key = "00".repeat(32);
//! let cli = Cli::parse_from(["gcs", "--connect", "udpout:127.0.0.1:14550", "--signing-key", &key]);
//! let cfg = cli.link.connection_config();
//! assert_eq!((cfg.own.system, cfg.own.component), (255, 190));
//! assert!(cfg.signing.is_some_and(|s| !s.require_signed));
//! assert!(Cli::try_parse_from(["gcs", "--require-signing"]).is_err());
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use qly_core::protocol::Ids;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::{Address, ConnectionConfig, SigningConfig};

/// A MAVLink 2 signing secret key: 32 bytes, written as 64 hex digits (as MAVProxy's
/// `signing setup`, QGroundControl and SETUP_SIGNING use it). Debug and error messages never
/// show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

/// Why a signing key was refused. The message never quotes the key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SigningKeyError {
    #[error("expected 64 hex digits (a 32-byte key), got {0} characters")]
    Length(usize),
    #[error("expected 64 hex digits (a 32-byte key): character {0} is not a hex digit")]
    NotHex(usize),
}

impl SigningKey {
    pub fn new(bytes: [u8; 32]) -> SigningKey {
        SigningKey(bytes)
    }

    /// The 32 secret bytes.
    pub fn bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The 64 lower-case hex digits (for writing a configuration file).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<secret>)")
    }
}

impl FromStr for SigningKey {
    type Err = SigningKeyError;

    /// 64 hex digits, either case; surrounding white space is ignored.
    fn from_str(text: &str) -> Result<SigningKey, SigningKeyError> {
        let hex = text.trim();
        if let Some(i) = hex.chars().position(|c| !c.is_ascii_hexdigit()) {
            if hex.chars().count() == 64 {
                return Err(SigningKeyError::NotHex(i));
            }
        }
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(SigningKeyError::Length(hex.chars().count()));
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| SigningKeyError::NotHex(2 * i))?;
        }
        Ok(SigningKey(key))
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// MAVLink 2 signing of one link end.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct SigningOptions {
    /// MAVLink 2 signing key, 64 hex digits (32 bytes): every frame we send is signed and
    /// signed frames we receive are checked.
    #[arg(id = "signing_key", long = "signing-key", value_name = "HEX")]
    pub key: Option<SigningKey>,
    /// Our link id, written into every frame we sign. Default 0.
    #[arg(skip)]
    pub link_id: u8,
    /// Drop frames that are unsigned or badly signed (MAVLink 1 frames included, since they
    /// cannot be signed); needs the signing key.
    #[arg(long = "require-signing", requires = "signing_key")]
    pub require_signed: bool,
}

/// `require_signed` without a key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("signing is required but no signing key is given: expected a key of 64 hex digits")]
pub struct NoSigningKey;

impl SigningOptions {
    /// Signing as the link wants it: `None` without a key.
    pub fn config(&self) -> Result<Option<SigningConfig>, NoSigningKey> {
        match &self.key {
            Some(key) => Ok(Some(SigningConfig {
                key: key.bytes(),
                link_id: self.link_id,
                require_signed: self.require_signed,
            })),
            None if self.require_signed => Err(NoSigningKey),
            None => Ok(None),
        }
    }
}

/// Who we are on a link: the defaults of [`LinkOptions`].
pub trait LinkRole: Clone + fmt::Debug + PartialEq + Eq + Send + Sync + 'static {
    /// Default connection string.
    const ADDRESS: &'static str;
    /// Default system id, as clap shows it (a number 1..=255).
    const SYSTEM_ID: &'static str;
    /// Default component id, as clap shows it (a number 1..=255).
    const COMPONENT_ID: &'static str;
}

/// A ground station (`planner upload`, `planner fly`): system 255, component 190
/// (MAV_COMP_ID_MISSIONPLANNER), waiting for the vehicle on `udpin:0.0.0.0:14550`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroundStation;

impl LinkRole for GroundStation {
    const ADDRESS: &'static str = "udpin:0.0.0.0:14550";
    const SYSTEM_ID: &'static str = "255";
    const COMPONENT_ID: &'static str = "190";
}

/// An onboard computer (the companion): the vehicle's system id 1, component 191
/// (MAV_COMP_ID_ONBOARD_COMPUTER), waiting for the autopilot on `udpin:0.0.0.0:14550`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onboard;

impl LinkRole for Onboard {
    const ADDRESS: &'static str = "udpin:0.0.0.0:14550";
    const SYSTEM_ID: &'static str = "1";
    const COMPONENT_ID: &'static str = "191";
}

/// Where the peer is, who we are, and signing; defaults from the role `R`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct LinkOptions<R: LinkRole> {
    /// Link to the peer: `udpin:HOST:PORT` (wait for it to speak), `udpout:HOST:PORT`,
    /// `tcp:HOST:PORT`, `tcpin:HOST:PORT` or `serial:/dev/ttyUSB0:57600` (path and baud).
    #[arg(id = "connect", long = "connect", value_name = "ADDR", default_value = R::ADDRESS)]
    pub address: Address,
    /// Our MAVLink system id (a ground station is usually 255; an onboard computer shares its
    /// vehicle's).
    #[arg(long, default_value = R::SYSTEM_ID, value_parser = clap::value_parser!(u8).range(1..))]
    pub system_id: u8,
    /// Our MAVLink component id (190 = MAV_COMP_ID_MISSIONPLANNER, 191 =
    /// MAV_COMP_ID_ONBOARD_COMPUTER).
    #[arg(long, default_value = R::COMPONENT_ID, value_parser = clap::value_parser!(u8).range(1..))]
    pub component_id: u8,
    #[command(flatten)]
    pub signing: SigningOptions,
    #[arg(skip)]
    role: PhantomData<R>,
}

impl<R: LinkRole> Default for LinkOptions<R> {
    fn default() -> Self {
        LinkOptions {
            address: R::ADDRESS.parse().expect("a role's default address parses"),
            system_id: R::SYSTEM_ID
                .parse()
                .expect("a role's default system id parses"),
            component_id: R::COMPONENT_ID
                .parse()
                .expect("a role's default component id parses"),
            signing: SigningOptions::default(),
            role: PhantomData,
        }
    }
}

impl<R: LinkRole> LinkOptions<R> {
    pub fn new(
        address: Address,
        system_id: u8,
        component_id: u8,
        signing: SigningOptions,
    ) -> LinkOptions<R> {
        LinkOptions {
            address,
            system_id,
            component_id,
            signing,
            role: PhantomData,
        }
    }

    /// Our ids on the link.
    pub fn own(&self) -> Ids {
        Ids::new(self.system_id, self.component_id)
    }

    /// The connection's configuration: our ids and signing (no impairment). With
    /// `require_signed` and no key (possible only from a hand-written table; the command line
    /// refuses it) nothing is signed: call [`SigningOptions::config`] to refuse it instead.
    pub fn connection_config(&self) -> ConnectionConfig {
        let mut cfg = ConnectionConfig::new(self.own());
        cfg.signing = self.signing.config().ok().flatten();
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn keys_parse_once_and_never_show() {
        let k: SigningKey = KEY.parse().unwrap();
        assert_eq!((k.bytes()[1], k.bytes()[31]), (1, 31));
        assert_eq!(k.to_hex(), KEY);
        assert_eq!(KEY.to_uppercase().parse::<SigningKey>().unwrap(), k);
        assert_eq!(format!("{k:?}"), "SigningKey(<secret>)");
        assert_eq!(
            "abcd".parse::<SigningKey>(),
            Err(SigningKeyError::Length(4))
        );
        let e = "zz".repeat(32).parse::<SigningKey>().unwrap_err();
        assert_eq!(e, SigningKeyError::NotHex(0));
        assert!(!e.to_string().contains("zz"), "{e}");
        assert!(e.to_string().contains("64 hex digits"), "{e}");
        // A multi-byte character is not a hex digit (and not a panic on a char boundary).
        let odd = format!("{}é", &KEY[..62]);
        assert!(odd.parse::<SigningKey>().is_err());
    }

    #[test]
    fn defaults_follow_the_role() {
        let gcs = LinkOptions::<GroundStation>::default();
        assert_eq!((gcs.system_id, gcs.component_id), (255, 190));
        assert_eq!(gcs.address, Address::UdpIn("0.0.0.0:14550".into()));
        let onboard = LinkOptions::<Onboard>::default();
        assert_eq!((onboard.system_id, onboard.component_id), (1, 191));
        assert_eq!(onboard.connection_config().signing, None);
    }

    #[test]
    fn an_address_reads_from_toml() {
        let addr: Address = toml::from_str::<toml::Table>("a = \"tcp:127.0.0.1:5760\"").unwrap()
            ["a"]
            .clone()
            .try_into()
            .unwrap();
        assert_eq!(addr, Address::Tcp("127.0.0.1:5760".into()));
        let no_key = SigningOptions {
            require_signed: true,
            ..SigningOptions::default()
        };
        assert_eq!(no_key.config(), Err(NoSigningKey));
    }
}
