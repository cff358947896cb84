//! The client's address, for rate limits. Behind proxies the peer is the proxy, so the client
//! is read from `X-Forwarded-For`, counting `FOLIO_TRUSTED_PROXY_HOPS` entries from the right:
//! each trusted proxy appends the address it received the request from, and anything further
//! left was written by the client and can't be trusted.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// The client address of a request, given how many trusted proxies stand in front.
pub fn client_ip(parts_headers: &HeaderMap, peer: Option<SocketAddr>, trusted_hops: usize) -> Option<IpAddr> {
    let peer = peer.map(|addr| addr.ip());
    if trusted_hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = parts_headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .len()
        .checked_sub(trusted_hops)
        .and_then(|index| forwarded.get(index))
        .and_then(|entry| entry.parse().ok())
        .or(peer)
}

/// The peer address axum recorded for this connection, if it was served with connect info.
pub fn peer_of(parts: &Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", xff.parse().unwrap());
        headers
    }

    #[test]
    fn picks_the_entry_written_by_the_first_trusted_proxy() {
        let peer = Some("10.0.0.5:4000".parse().unwrap());
        let h = headers("203.0.113.9, 198.51.100.7");
        assert_eq!(client_ip(&h, peer, 0), Some("10.0.0.5".parse().unwrap()));
        assert_eq!(client_ip(&h, peer, 1), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(client_ip(&h, peer, 2), Some("203.0.113.9".parse().unwrap()));
        // More hops than entries: the header was not written by our proxies; use the peer.
        assert_eq!(client_ip(&h, peer, 3), Some("10.0.0.5".parse().unwrap()));
        assert_eq!(
            client_ip(&headers("garbage"), peer, 1),
            Some("10.0.0.5".parse().unwrap())
        );
    }
}

/// The client's address as a handler argument (`None` when it can't be known).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S> axum::extract::FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    crate::state::AppState: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = <crate::state::AppState as axum::extract::FromRef<S>>::from_ref(state);
        Ok(ClientIp(client_ip(
            &parts.headers,
            peer_of(parts),
            state.settings.trusted_proxy_hops,
        )))
    }
}
