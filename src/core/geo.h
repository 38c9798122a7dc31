// core/geo: great-circle distance on WGS-84 coordinates (spherical Earth, mean radius).
#pragma once

#include <cmath>

namespace og {

inline constexpr double kEarthRadiusM = 6371000.0;

struct LatLng {
  double lat = 0;
  double lng = 0;
};

inline double great_circle_m(LatLng a, LatLng b) {
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (b.lat - a.lat) * kRad;
  const double dlng = (b.lng - a.lng) * kRad;
  const double s = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlng / 2) * std::sin(dlng / 2);
  return 2 * kEarthRadiusM * std::asin(std::sqrt(s < 1 ? s : 1));
}

}  // namespace og
