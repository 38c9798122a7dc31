// core/geo: great-circle distance on WGS-84 coordinates (spherical Earth, mean radius), and
// bounds on it without trigonometry.
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

// An upper bound of great_circle_m(a, b) from two subtractions: the length of a path from a
// along its meridian to b's latitude, then along that parallel to b (no longer than the same
// angle on the equator), which the great circle between them is no longer than. Valid for any
// coordinates; loose (up to sqrt 2 times the distance), but it settles a threshold far from
// the distance before any polynomial. Callers leave the same margin for rounding.
inline double meridian_then_parallel_m(LatLng a, LatLng b) {
  return kEarthRadiusM * (std::fabs(b.lat - a.lat) + std::fabs(b.lng - a.lng)) * kRadiansPerDegree;
}

// Bounds on great_circle_m(a, b) from polynomials alone, for a caller that only needs to know
// on which side of a threshold the distance lies (a rider's ping, several a second across a
// city): the exact distance is needed only when the threshold falls between them. They bound
// the haversine of the same angles great_circle_m computes, with sin t in [t - t^3/6, t]
// (t >= 0), asin z in [z, z / sqrt(1 - z^2)], and the latitudes' cosines between their Taylor
// series cut after a negative term and after a positive one (bounds for every t). So they
// are within about (distance / radius)^2 of it, relatively: 1e-7 at 5 km at mid latitudes.
// Both are computed in floating point: a caller leaves a margin for rounding (1e-9 relative
// is ample; both sides round at about 1e-15). Latitudes beyond 1.4 rad (80 degrees: the
// product's lower bound needs both cosines' lower bounds positive), half-angles over 0.5 rad
// (3,000 km) and values that are not finite give [0, infinity], which settles nothing.
struct DistanceBounds {
  double low = 0;
  double high = 0;
};

inline DistanceBounds great_circle_bounds_m(LatLng a, LatLng b) {
  constexpr double kRad = kRadiansPerDegree;
  constexpr DistanceBounds kUnknown{0, HUGE_VAL};
  const double dlat = (b.lat - a.lat) * kRad;  // as great_circle_m computes them
  const double dlng = (b.lng - a.lng) * kRad;
  const double lat_a = a.lat * kRad;
  const double lat_b = b.lat * kRad;
  const double x = std::fabs(dlat / 2);
  const double y = std::fabs(dlng / 2);
  if (!(std::fabs(lat_a) < 1.4 && std::fabs(lat_b) < 1.4 && x <= 0.5 && y <= 0.5)) return kUnknown;
  const double sin_x_low = x - x * x * x * (1.0 / 6);
  const double sin_y_low = y - y * y * y * (1.0 / 6);
  // The cosine's series through t^10 / 10! (cut after a negative term: a lower bound), and
  // through t^12 / 12! (after a positive one: an upper bound), within 1e-10 of the cosine up
  // to 1.4 rad. In Horner form by the reciprocal factorials: multiplications rather than a
  // chain of divisions, the same polynomials up to rounding (about 1e-16, far inside the
  // callers' margin). A rider's ping works these out twice.
  const auto cos_low = [](double u) {  // u = t^2
    return 1 - u * (1.0 / 2 - u * (1.0 / 24 - u * (1.0 / 720 - u * (1.0 / 40320 - u * (1.0 / 3628800)))));
  };
  const auto cos_high = [](double u, double low) {
    const double u3 = u * u * u;
    return low + u3 * u3 * (1.0 / 479001600);
  };
  const double ua = lat_a * lat_a;
  const double ub = lat_b * lat_b;
  const double cos_a_low = cos_low(ua);
  const double cos_b_low = cos_low(ub);
  const double s_low = sin_x_low * sin_x_low + cos_a_low * cos_b_low * sin_y_low * sin_y_low;
  const double s_high = x * x + cos_high(ua, cos_a_low) * cos_high(ub, cos_b_low) * y * y;
  return {2 * kEarthRadiusM * std::sqrt(s_low), 2 * kEarthRadiusM * std::sqrt(s_high / (1 - s_high))};
}

// great_circle_m(a, b) >= threshold_m, exactly as computed, with the trigonometry only when the
// bounds leave it open (the threshold within their rounding margin of the distance).
inline bool great_circle_at_least_m(LatLng a, LatLng b, double threshold_m) {
  constexpr double kMargin = 1e-9;
  if (latitude_gap_m(a, b) > threshold_m * (1 + kMargin)) return true;
  if (meridian_then_parallel_m(a, b) < threshold_m * (1 - kMargin)) return false;
  const DistanceBounds bounds = great_circle_bounds_m(a, b);
  if (bounds.low > threshold_m * (1 + kMargin)) return true;
  if (bounds.high < threshold_m * (1 - kMargin)) return false;
  return great_circle_m(a, b) >= threshold_m;
}

}  // namespace og
