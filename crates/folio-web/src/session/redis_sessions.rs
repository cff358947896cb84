//! Sessions as Redis keys: `<prefix>:session:<id>` holds the record as JSON and expires with
//! it; `<prefix>:user-sessions:<user id>` lists a signed-in user's session ids, so that all of
//! them can be ended at once (password change, deactivation).

use std::sync::LazyLock;

use redis::RedisResult;
use tower_sessions::session::{Id, Record};

use super::store::user_id_of;
use crate::cluster::RedisLink;

/// How long a user's list of sessions outlives its last write: sessions end 14 days after
/// their last write, so an id left in the list points at nothing by then.
const USER_LIST_TTL_SECS: i64 = 15 * 24 * 3600;

/// Ends every session in a user's list but one, atomically, and empties the list of them.
/// ARGV[1]: the session key prefix; ARGV[2]: the id to keep ("" for none). Hashed once: redis-rs
/// calls it by its SHA1 and loads it only when the server doesn't know it yet.
static END_FOR_USER: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local ended = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] then
    ended = ended + redis.call('DEL', ARGV[1] .. id)
    redis.call('SREM', KEYS[1], id)
  end
end
return ended
",
    )
});

fn session_key(link: &RedisLink, id: &Id) -> String {
    link.key(&format!("session:{id}"))
}

fn user_key(link: &RedisLink, user_id: i64) -> String {
    link.key(&format!("user-sessions:{user_id}"))
}

/// Stores `record` until its expiry; with `only_new`, only if no session has its id. Returns
/// whether it was stored. An expired record is deleted instead.
pub(super) async fn write(link: &RedisLink, record: &Record, only_new: bool) -> RedisResult<bool> {
    let key = session_key(link, &record.id);
    let expires = record.expiry_date.unix_timestamp();
    let mut connection = link.connection();
    if expires <= time::OffsetDateTime::now_utc().unix_timestamp() {
        redis::cmd("DEL")
            .arg(&key)
            .query_async::<i64>(&mut connection)
            .await?;
        return Ok(!only_new);
    }
    let json = serde_json::to_string(record)
        .map_err(|err| redis::RedisError::from((redis::ErrorKind::Client, "session", err.to_string())))?;
    let mut pipe = redis::pipe();
    pipe.atomic();
    let set = pipe.cmd("SET").arg(&key).arg(json).arg("EXAT").arg(expires);
    if only_new {
        set.arg("NX");
    }
    if let Some(user_id) = user_id_of(record) {
        let list = user_key(link, user_id);
        pipe.cmd("SADD").arg(&list).arg(record.id.to_string()).ignore();
        pipe.cmd("EXPIRE").arg(&list).arg(USER_LIST_TTL_SECS).ignore();
    }
    let (stored,): (Option<String>,) = pipe.query_async(&mut connection).await?;
    Ok(stored.is_some())
}

/// The record stored under `id`, if it is there (Redis drops it when it expires).
pub(super) async fn read(link: &RedisLink, id: &Id) -> RedisResult<Option<Record>> {
    let mut connection = link.connection();
    let json: Option<String> = redis::cmd("GET")
        .arg(session_key(link, id))
        .query_async(&mut connection)
        .await?;
    let Some(json) = json else {
        return Ok(None);
    };
    // A record that no longer parses (written by an incompatible release) is no session.
    Ok(serde_json::from_str::<Record>(&json)
        .ok()
        .filter(|record| record.id == *id))
}

pub(super) async fn delete(link: &RedisLink, id: &Id) -> RedisResult<()> {
    let mut connection = link.connection();
    redis::cmd("DEL")
        .arg(session_key(link, id))
        .query_async::<i64>(&mut connection)
        .await
        .map(drop)
}

/// The live sessions in a user's list. Ids whose session has expired or was deleted are taken
/// off the list on the way.
pub(super) async fn list_for_user(link: &RedisLink, user_id: i64) -> RedisResult<Vec<Record>> {
    let mut connection = link.connection();
    let list = user_key(link, user_id);
    let ids: Vec<String> = redis::cmd("SMEMBERS")
        .arg(&list)
        .query_async(&mut connection)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = ids.iter().map(|id| link.key(&format!("session:{id}"))).collect();
    let found: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(&mut connection).await?;
    let mut records = Vec::new();
    let mut gone = Vec::new();
    for (id, json) in ids.into_iter().zip(found) {
        let record = json
            .and_then(|json| serde_json::from_str::<Record>(&json).ok())
            .filter(|record| user_id_of(record) == Some(user_id));
        match record {
            Some(record) => records.push(record),
            None => gone.push(id),
        }
    }
    if !gone.is_empty() {
        redis::cmd("SREM")
            .arg(&list)
            .arg(gone)
            .query_async::<i64>(&mut connection)
            .await?;
    }
    Ok(records)
}

/// Ends every session of `user_id` except `keep`; returns how many ended.
pub(super) async fn end_for_user(link: &RedisLink, user_id: i64, keep: Option<Id>) -> RedisResult<u64> {
    let mut connection = link.connection();
    let keep = keep.map(|id| id.to_string()).unwrap_or_default();
    END_FOR_USER
        .key(user_key(link, user_id))
        .arg(link.key("session:"))
        .arg(keep)
        .invoke_async(&mut connection)
        .await
}
