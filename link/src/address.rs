//! Connection strings: `udpin:HOST:PORT`, `udpout:HOST:PORT`, `tcp:HOST:PORT` (client),
//! `tcpin:HOST:PORT` (server), `serial:/dev/ttyX:BAUD` (the forms MAVProxy and QGC use).

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Where a [`Connection`](crate::Connection) talks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// Listen on HOST:PORT; reply to the first sender of a valid frame (see
    /// [`UdpPeer`](crate::connection::UdpPeer)).
    UdpIn(String),
    /// Send to HOST:PORT from an ephemeral port; receive the replies.
    UdpOut(String),
    /// Connect to a TCP server at HOST:PORT.
    Tcp(String),
    /// Accept TCP clients on HOST:PORT (one at a time; a new client replaces the old).
    TcpIn(String),
    /// A serial port at `baud` bits per second.
    Serial { path: String, baud: u32 },
}

/// Why a connection string was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    #[error(
        "connection string {0:?} has no scheme; expected udpin:, udpout:, tcp:, tcpin: or serial:"
    )]
    NoScheme(String),
    #[error("connection string {input:?}: unknown scheme {scheme:?}; expected udpin, udpout, tcp, tcpin or serial")]
    UnknownScheme { input: String, scheme: String },
    #[error("connection string {input:?}: expected HOST:PORT with a port number after {scheme}:")]
    BadHostPort { input: String, scheme: String },
    #[error("connection string {input:?}: expected serial:PATH:BAUD with a numeric baud rate")]
    BadSerial { input: String },
}

fn host_port(input: &str, scheme: &str, rest: &str) -> Result<String, AddressError> {
    let bad = || AddressError::BadHostPort {
        input: input.to_string(),
        scheme: scheme.to_string(),
    };
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(rest.to_string())
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (scheme, rest) = input
            .split_once(':')
            .ok_or_else(|| AddressError::NoScheme(input.to_string()))?;
        match scheme {
            "udpin" => Ok(Address::UdpIn(host_port(input, scheme, rest)?)),
            "udpout" | "udp" => Ok(Address::UdpOut(host_port(input, scheme, rest)?)),
            "tcp" | "tcpout" => Ok(Address::Tcp(host_port(input, scheme, rest)?)),
            "tcpin" => Ok(Address::TcpIn(host_port(input, scheme, rest)?)),
            "serial" => {
                let bad = || AddressError::BadSerial {
                    input: input.to_string(),
                };
                let (path, baud) = rest.rsplit_once(':').ok_or_else(bad)?;
                let baud = baud.parse::<u32>().map_err(|_| bad())?;
                if path.is_empty() || baud == 0 {
                    return Err(bad());
                }
                Ok(Address::Serial {
                    path: path.to_string(),
                    baud,
                })
            }
            other => Err(AddressError::UnknownScheme {
                input: input.to_string(),
                scheme: other.to_string(),
            }),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::UdpIn(a) => write!(f, "udpin:{a}"),
            Address::UdpOut(a) => write!(f, "udpout:{a}"),
            Address::Tcp(a) => write!(f, "tcp:{a}"),
            Address::TcpIn(a) => write!(f, "tcpin:{a}"),
            Address::Serial { path, baud } => write!(f, "serial:{path}:{baud}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_forms() {
        assert_eq!(
            "udpin:0.0.0.0:14550".parse(),
            Ok(Address::UdpIn("0.0.0.0:14550".into()))
        );
        assert_eq!(
            "udpout:127.0.0.1:14555".parse(),
            Ok(Address::UdpOut("127.0.0.1:14555".into()))
        );
        assert_eq!(
            "tcp:localhost:5760".parse(),
            Ok(Address::Tcp("localhost:5760".into()))
        );
        assert_eq!(
            "tcpin:0.0.0.0:5760".parse(),
            Ok(Address::TcpIn("0.0.0.0:5760".into()))
        );
        assert_eq!(
            "serial:/dev/ttyUSB0:57600".parse(),
            Ok(Address::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 57600
            })
        );
        let a: Address = "serial:/dev/ttyACM0:115200".parse().unwrap();
        assert_eq!(a.to_string(), "serial:/dev/ttyACM0:115200");
    }

    #[test]
    fn rejects_bad_strings_with_reasons() {
        assert!(matches!(
            "127.0.0.1".parse::<Address>(),
            Err(AddressError::NoScheme(_))
        ));
        assert!(matches!(
            "quic:1.2.3.4:5".parse::<Address>(),
            Err(AddressError::UnknownScheme { .. })
        ));
        assert!(matches!(
            "udpin:1.2.3.4:port".parse::<Address>(),
            Err(AddressError::BadHostPort { .. })
        ));
        let e = "serial:/dev/ttyS0:fast".parse::<Address>().unwrap_err();
        assert!(e.to_string().contains("numeric baud"));
    }
}
