//! Qianliyan core: the pure geometry every part of the patrol shares.
//!
//! No sockets, clocks or threads live here: functions take values and return values, so the
//! planner, the simulated vehicle, the companion computer and the review tools all compute
//! positions the same way, and the maths is tested without any I/O. The one file-system
//! edge is [`terrain::dem_file`], which opens an elevation model and hands its bytes to the
//! pure GeoTIFF parser.
//!
//! - [`geodesy`]: WGS-84 geodetic <-> ECEF <-> local ENU, geodesic distance and bearing.
//! - [`datum`]: WGS-84, CGCS2000 and GCJ-02 input coordinates.
//! - [`corridor`]: the corridor file (a GeoJSON river centreline with its width and datum),
//!   read from text; [`coord_check`]: the coordinate checks every input reader shares.
//! - [`camera`]: GSD, footprint, lane spacing and trigger distance; the camera database.
//! - [`mission`]: the MAVLink mission items we plan, independent of file formats;
//!   [`home`]: the `LAT,LON[,AMSL_M]` grammar of a take-off point.
//! - [`protocol`]: the MAVLink mission transfer protocol as sans-IO state machines.
//! - [`rotation`]: quaternions and matrices between the camera, gimbal, body and NED frames.
//! - [`intrinsics`]: the pixel camera model (pinhole + Brown-Conrady), pixel <-> ray.
//! - [`terrain`]: ground heights above mean sea level: the `Terrain` trait, flat ground,
//!   GeoTIFF elevation models (read from bytes; the file loader is a separate edge), the
//!   EGM96 geoid and vertical datums.
//! - [`pose`]: position/attitude timelines interpolated to capture times; clock alignment.
//! - [`geotag`]: pixel + pose + camera + terrain -> ground point and predicted error.

pub mod camera;
pub mod coord_check;
pub mod corridor;
pub mod datum;
pub mod geodesy;
pub mod geotag;
pub mod home;
pub mod intrinsics;
pub mod mission;
pub mod pose;
pub mod protocol;
pub mod rotation;
pub mod terrain;
pub mod wpnav;
