//! A sortable table of notes, shared by `/` and the pad pages.

use axum::extract::RawQuery;
use std::collections::HashMap;

use chrono::Utc;
use folio_db::queries::pads::PadSummary;
use folio_db::queries::{NoteListing, NoteOrder};

use crate::forms::query_param;

use crate::dates::{SmartDate, smart_date};

/// The `?order=` of a list page; anything unknown is the default order.
pub fn order_of(query: &RawQuery) -> NoteOrder {
    NoteOrder::parse(query_param(query.0.as_deref(), "order").as_deref())
}

/// One row as the table shows it.
#[derive(Debug)]
pub struct NoteRow {
    pub id: i64,
    pub name: String,
    pub pad_id: Option<i64>,
    pub pad_name: Option<String>,
    pub updated: SmartDate,
}

/// Turns query rows into table rows, naming each note's pad from `pads` (the sidebar's list).
pub fn rows(listing: Vec<NoteListing>, pads: Option<&[PadSummary]>) -> Vec<NoteRow> {
    let now = Utc::now();
    let pad_names: HashMap<i64, &str> = pads
        .unwrap_or_default()
        .iter()
        .map(|pad| (pad.id, pad.name.as_str()))
        .collect();
    listing
        .into_iter()
        .map(|note| NoteRow {
            id: note.id,
            name: note.name,
            pad_id: note.pad_id,
            pad_name: note
                .pad_id
                .and_then(|id| pad_names.get(&id))
                .map(|name| (*name).to_owned()),
            updated: smart_date(note.updated_at, now),
        })
        .collect()
}

/// The column headers' sort links: which of them is the order being shown.
#[derive(Debug)]
pub struct SortLinks {
    pub current: NoteOrder,
}

impl SortLinks {
    pub fn is(&self, value: &str) -> bool {
        self.current.as_str() == value
    }
}
