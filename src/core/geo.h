// core/geo: great-circle distance on WGS-84 coordinates (spherical Earth, mean radius).
#pragma once

#include <cmath>

namespace og {

inline constexpr double kEarthRadiusM = 6371000.0;
inline constexpr double kRadiansPerDegree = 3.14159265358979323846 / 180.0;

struct LatLng {
  double lat = 0;
  double lng = 0;
};

inline double great_circle_m(LatLng a, LatLng b) {
  constexpr double kRad = kRadiansPerDegree;
  const double dlat = (b.lat - a.lat) * kRad;
  const double dlng = (b.lng - a.lng) * kRad;
  const double s = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlng / 2) * std::sin(dlng / 2);
  return 2 * kEarthRadiusM * std::asin(std::sqrt(s < 1 ? s : 1));
}

// A lower bound of great_circle_m(a, b) without trigonometry, so a caller can skip points
// that cannot be nearer: the distance along a meridian between the two latitudes (valid
// latitudes, within +-90), which no path between the points is shorter than. Both are
// computed in floating point, so whoever prunes with it leaves a margin for rounding.
inline double latitude_gap_m(LatLng a, LatLng b) { return kEarthRadiusM * std::fabs(b.lat - a.lat) * kRadiansPerDegree; }

}  // namespace og
