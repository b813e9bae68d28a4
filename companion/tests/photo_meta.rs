//! DJI photo metadata: tags written the way an M3E writes them are read back exactly, and a
//! nadir photo's pixel geotags to the right ground point.

mod photo_support;

use companion::photo_meta::segments::{exif_app1_payload, insert_app_segments, xmp_app1_payload};
use companion::photo_meta::{
    jpeg_headers, photo_pose, AltitudeSource, DjiXmp, ExifTags, IntrinsicsSource, PhotoMetaError,
    PhotoMetaOptions, UtcOffsetSource,
};
use photo_support::{header_only_jpeg, DjiTags};
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::geotag::{geotag, CameraMount, Uncertainty};
use qly_core::rotation::Quat;
use qly_core::terrain::FlatGround;

fn m3e_photo(tags: &DjiTags) -> Vec<u8> {
    tags.tag(&header_only_jpeg(5280, 3956), true)
}

#[test]
fn m3e_tags_parse_back_exactly() {
    let tags = DjiTags::m3e();
    let jpeg = m3e_photo(&tags);
    let headers = jpeg_headers(&jpeg).unwrap();
    assert_eq!(headers.frame_size_px, Some((5280, 3956)));
    let exif = ExifTags::parse(headers.exif_tiff.unwrap()).unwrap();
    assert_eq!(exif.make.as_deref(), Some("DJI"));
    assert_eq!(exif.model.as_deref(), Some("M3E"));
    assert_eq!(
        exif.date_time_original.as_deref(),
        Some("2024:05:12 14:03:27")
    );
    assert_eq!(exif.sub_sec_time_original.as_deref(), Some("123"));
    assert_eq!(exif.offset_time_original.as_deref(), Some("+08:00"));
    // DMS with micro-arcsecond seconds: 3e-11 degrees.
    assert!((exif.gps_lat_deg.unwrap() - tags.lat_deg).abs() < 1e-10);
    assert!((exif.gps_lon_deg.unwrap() - tags.lon_deg).abs() < 1e-10);
    assert_eq!(exif.gps_alt_m, Some(152.31));
    assert_eq!(exif.focal_length_mm, Some(12.29));
    assert_eq!(exif.focal_length_35mm_equiv_mm, Some(24.0));
    assert_eq!((exif.width_px, exif.height_px), (Some(5280), Some(3956)));

    let dji = DjiXmp::parse(headers.xmp.unwrap()).unwrap();
    assert_eq!(dji.absolute_altitude_m, Some(152.31));
    assert_eq!(dji.relative_altitude_m, Some(100.0));
    assert_eq!(dji.gimbal_yaw_deg, Some(30.2));
    assert_eq!(dji.gimbal_pitch_deg, Some(-90.0));
    assert_eq!(dji.gimbal_roll_deg, Some(0.0));
    assert_eq!(
        (
            dji.flight_yaw_deg,
            dji.flight_pitch_deg,
            dji.flight_roll_deg
        ),
        (Some(30.5), Some(-2.1), Some(1.3))
    );
    assert_eq!(dji.calibrated_focal_length_px, Some(3713.29));
    assert_eq!(dji.calibrated_optical_center_x_px, Some(2640.0));
    assert_eq!(dji.calibrated_optical_center_y_px, Some(1978.0));
    let d = dji.dewarp_data.clone().unwrap();
    assert_eq!(d.calibration_date, "2022-06-08");
    assert_eq!(
        [
            d.fx_px,
            d.fy_px,
            d.cx_offset_px,
            d.cy_offset_px,
            d.k1,
            d.k2,
            d.p1,
            d.p2,
            d.k3
        ],
        [
            3713.29,
            3713.29,
            7.02,
            -8.72,
            -0.11257524,
            0.01487443,
            -0.00008572,
            0.0,
            -0.02706411
        ]
    );
    assert_eq!(dji.dewarp_flag, Some(0));
    assert_eq!(dji.rtk_flag, Some(50));
    assert_eq!(
        (dji.rtk_std_lat_m, dji.rtk_std_lon_m, dji.rtk_std_hgt_m),
        (Some(0.012), Some(0.011), Some(0.025))
    );

    // The element form reads the same.
    let elements = DjiTags {
        as_elements: true,
        ..tags.clone()
    };
    let jpeg_el = m3e_photo(&elements);
    let dji_el = DjiXmp::parse(jpeg_headers(&jpeg_el).unwrap().xmp.unwrap()).unwrap();
    assert_eq!(dji_el, dji);
    // Signed decimal positions in the XMP, as DJI writes them, and the aircraft's identity.
    assert!((dji.gps_lat_deg.unwrap() - tags.lat_deg).abs() < 1e-8);
    assert!((dji.gps_lon_deg.unwrap() - tags.lon_deg).abs() < 1e-8);
    assert_eq!(dji.drone_model.as_deref(), Some("M3E"));
    assert_eq!(
        dji.drone_serial_number.as_deref(),
        Some("1581F5BKD223Q00A0001")
    );
    assert_eq!(dji.image_source.as_deref(), Some("WideCamera"));
    // Southern and western hemispheres keep their signs through the XMP.
    let south_west = DjiTags {
        lat_deg: -33.856_789_1,
        lon_deg: -70.654_321_2,
        ..tags.clone()
    };
    let sw = DjiXmp::parse(south_west.xmp().as_bytes()).unwrap();
    assert!(south_west
        .xmp()
        .contains(r#"drone-dji:GpsLatitude="-33.85678910""#));
    assert_eq!(sw.gps_lat_deg, Some(-33.856_789_1));
    assert_eq!(sw.gps_lon_deg, Some(-70.654_321_2));

    // The pose.
    let pose = photo_pose(&jpeg, "DJI_0001.JPG", &PhotoMetaOptions::default()).unwrap();
    // 14:03:27.123 at +08:00 is 06:03:27.123 UTC = 1715493807.123 s.
    assert_eq!(pose.t_utc_us, 1_715_493_807_123_000);
    assert_eq!(pose.utc_offset.source, UtcOffsetSource::Exif);
    assert_eq!(pose.altitude_source, AltitudeSource::DjiAbsoluteAltitude);
    assert_eq!(pose.camera.position.alt_amsl_m, 152.31);
    assert!((pose.takeoff_ground_amsl_m().unwrap() - 52.31).abs() < 1e-9);
    assert_eq!(
        pose.camera.mount,
        CameraMount::EarthFrame(Quat::from_ypr_deg(30.2, -90.0, 0.0))
    );
    assert_eq!(pose.camera.q_ned_body, Quat::from_ypr_deg(30.5, -2.1, 1.3));
    assert_eq!(pose.intrinsics_source, IntrinsicsSource::DewarpData);
    assert!(!pose.is_thermal());
    assert_eq!(pose.drone_model.as_deref(), Some("M3E"));
    let k = &pose.intrinsics;
    assert_eq!((k.width_px, k.height_px), (5280, 3956));
    assert_eq!((k.fx_px, k.cx_px, k.cy_px), (3713.29, 2647.02, 1969.28));
    assert_eq!(k.distortion.k1, -0.11257524);
    let rtk = pose.rtk.unwrap();
    assert_eq!((rtk.flag, rtk.std_lat_m), (Some(50), 0.012));
    let u = pose.uncertainty(&Uncertainty {
        horizontal_position_sigma_m: 2.0,
        altitude_sigma_m: 1.0,
        ..Uncertainty::default()
    });
    assert_eq!(
        (u.horizontal_position_sigma_m, u.altitude_sigma_m),
        (0.012, 1.0)
    );
}

#[test]
fn intrinsics_fall_back_in_order_and_time_falls_back_to_the_configured_offset() {
    let options = PhotoMetaOptions::default();
    let mut tags = DjiTags::m3e();
    // DewarpFlag 1: the camera already undistorted the pixels, so DewarpData does not apply.
    let dewarped = tags.xmp().replace(r#"DewarpFlag="0""#, r#"DewarpFlag="1""#);
    assert_ne!(dewarped, tags.xmp());
    let jpeg = insert_app_segments(
        &header_only_jpeg(5280, 3956),
        &[
            (0xE1, &exif_app1_payload(&tags.exif_tiff())),
            (0xE1, &xmp_app1_payload(dewarped.as_bytes())),
        ],
    )
    .unwrap();
    let pose = photo_pose(&jpeg, "a.jpg", &options).unwrap();
    assert_eq!(
        pose.intrinsics_source,
        IntrinsicsSource::CalibratedFocalLength
    );
    assert_eq!(pose.intrinsics.distortion.k1, 0.0);

    tags.dewarp = None;
    let pose = photo_pose(&m3e_photo(&tags), "a.jpg", &options).unwrap();
    assert_eq!(
        pose.intrinsics_source,
        IntrinsicsSource::CalibratedFocalLength
    );
    assert_eq!(
        (
            pose.intrinsics.fx_px,
            pose.intrinsics.cx_px,
            pose.intrinsics.cy_px
        ),
        (3713.29, 2640.0, 1978.0)
    );

    tags.calibrated = None;
    let pose = photo_pose(&m3e_photo(&tags), "a.jpg", &options).unwrap();
    assert_eq!(
        pose.intrinsics_source,
        IntrinsicsSource::CameraDatabase {
            camera: "DJI Mavic 3 Enterprise wide".into()
        }
    );
    // 12.29 mm over a 17.3 mm wide sensor spanning 5280 px.
    assert!((pose.intrinsics.fx_px - 12.29 * 5280.0 / 17.3).abs() < 1e-9);

    tags.model = "M30T";
    let pose = photo_pose(&m3e_photo(&tags), "a.jpg", &options).unwrap();
    assert_eq!(pose.intrinsics_source, IntrinsicsSource::FocalLength35mm);
    let f35 = 24.0 * (5280.0_f64).hypot(3956.0) / 43.266_615_305_567_87;
    assert!((pose.intrinsics.fx_px - f35).abs() < 1e-9);
    // Both ways of getting the focal length agree to 3 % for the M3E.
    assert!((f35 / (12.29 * 5280.0 / 17.3) - 1.0).abs() < 0.03);

    tags.offset = None;
    tags.sub_sec = None;
    let pose = photo_pose(&m3e_photo(&tags), "a.jpg", &options).unwrap();
    assert_eq!(pose.utc_offset.source, UtcOffsetSource::Assumed);
    assert_eq!(pose.utc_offset.minutes, 480);
    assert_eq!(pose.t_utc_us, 1_715_493_807_000_000);
    let utc = PhotoMetaOptions {
        default_utc_offset_min: 0,
        ..PhotoMetaOptions::default()
    };
    let pose = photo_pose(&m3e_photo(&tags), "a.jpg", &utc).unwrap();
    assert_eq!(pose.t_utc_us, 1_715_522_607_000_000);
}

#[test]
fn missing_and_odd_tags_name_the_file_and_the_tag() {
    let options = PhotoMetaOptions::default();
    let tags = DjiTags::m3e();
    let no_xmp = tags.tag(&header_only_jpeg(5280, 3956), false);
    let err = photo_pose(&no_xmp, "DJI_0007.JPG", &options).unwrap_err();
    assert!(matches!(err, PhotoMetaError::NoXmp { ref file } if file == "DJI_0007.JPG"));
    assert!(err.to_string().contains("DJI_0007.JPG"), "{err}");

    let mut odd = DjiTags::m3e();
    odd.date_time_original = "2024:13:12 14:03:27".into();
    let err = photo_pose(&m3e_photo(&odd), "DJI_0008.JPG", &options).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("DJI_0008.JPG")
            && text.contains("DateTimeOriginal")
            && text.contains("2024:13:12"),
        "{text}"
    );

    let mut no_gimbal = tags.xmp();
    no_gimbal = no_gimbal.replace(
        "drone-dji:GimbalPitchDegree",
        "drone-dji:GimbalPitchDegreeX",
    );
    let jpeg = companion::photo_meta::segments::insert_app_segments(
        &header_only_jpeg(5280, 3956),
        &[
            (
                0xE1,
                &companion::photo_meta::segments::exif_app1_payload(&tags.exif_tiff()),
            ),
            (
                0xE1,
                &companion::photo_meta::segments::xmp_app1_payload(no_gimbal.as_bytes()),
            ),
        ],
    )
    .unwrap();
    let err = photo_pose(&jpeg, "DJI_0009.JPG", &options).unwrap_err();
    assert!(
        matches!(
            err,
            PhotoMetaError::MissingTag { ref file, tag: "drone-dji:GimbalPitchDegree", .. } if file == "DJI_0009.JPG"
        ),
        "{err}"
    );

    let err = photo_pose(b"not a photo", "notes.jpg", &options).unwrap_err();
    assert!(matches!(err, PhotoMetaError::NotJpeg { .. }), "{err}");
    let err = photo_pose(&header_only_jpeg(10, 10), "bare.jpg", &options).unwrap_err();
    assert!(matches!(err, PhotoMetaError::NoExif { .. }), "{err}");
}

/// 100 m above the take-off ground, looking straight down with the gimbal turned to 30.2
/// degrees: a target 400 px right of and 300 px above the principal point is
/// 100 / 3713.29 * (400, 300) m to the right and forward of the camera.
#[test]
fn a_nadir_photo_geotags_a_pixel_to_the_expected_ground_point() {
    let mut tags = DjiTags::m3e();
    tags.dewarp = None; // pinhole: the expected point is plain trigonometry
    let pose = photo_pose(
        &m3e_photo(&tags),
        "DJI_0001.JPG",
        &PhotoMetaOptions::default(),
    )
    .unwrap();
    let ground = FlatGround {
        height_amsl_m: pose.takeoff_ground_amsl_m().unwrap(),
    };
    let (du, dv) = (400.0, -300.0);
    let px = (pose.intrinsics.cx_px + du, pose.intrinsics.cy_px + dv);
    let g = geotag(
        px,
        &pose.intrinsics,
        &pose.camera,
        &ground,
        &Uncertainty::default(),
    )
    .unwrap();
    let scale = 100.0 / 3713.29;
    let (right, forward) = (du * scale, -dv * scale);
    let yaw = 30.2_f64.to_radians();
    let want_e = forward * yaw.sin() + right * yaw.cos();
    let want_n = forward * yaw.cos() - right * yaw.sin();
    let plane = LocalFrame::at(GeoPoint::new(tags.lat_deg, tags.lon_deg).unwrap());
    let (e, n) = plane.project(g.point);
    assert!(
        (e - want_e).abs() < 0.01 && (n - want_n).abs() < 0.01,
        "got ({e:.3}, {n:.3}) m, want ({want_e:.3}, {want_n:.3}) m"
    );
    assert!((g.height_amsl_m - 52.31).abs() < 1e-9);
}
