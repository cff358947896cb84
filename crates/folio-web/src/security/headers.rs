//! Security headers on every response. The CSP allows only our own origin: Folio ships no
//! inline script or style, so nothing needs `unsafe-inline`.

use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy; images may also come from `media_origin` (the CDN or S3 serving uploads).
fn csp(media_origin: Option<&str>) -> HeaderValue {
    let media = media_origin
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; img-src 'self' data:{media}; style-src 'self'; script-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    // The origin comes from validated configuration; should it ever not fit in a header, the
    // policy without it is still safe (images from there just won't show).
    HeaderValue::from_str(&policy).unwrap_or_else(|_| csp(None))
}

/// The layers that add the headers; HSTS only when the site is served over https.
pub fn layers(https: bool, media_origin: Option<&str>) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let mut layers = vec![
        SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp(media_origin)),
        SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ),
    ];
    if https {
        layers.push(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    layers
}
