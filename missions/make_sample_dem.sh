#!/bin/sh
# Writes missions/sample-corridor-dem.tif, the SYNTHETIC elevation model under the sample
# corridor (an invented karst valley: qly_core::terrain::SyntheticValley, default spec),
# with our own GeoTIFF writer. Run from anywhere; the output is committed.
set -e
cd "$(dirname "$0")/.."
cargo run -q -p planner --example make_sample_dem -- \
    missions/sample-corridor.geojson missions/sample-corridor-dem.tif
