//! The note form (create and edit): fields, validation and the pad select.

use folio_db::DatabaseConnection;
use folio_db::queries::pads::{self, PadSummary};
use serde::Deserialize;

use crate::domain::{Name, NoteText};
use crate::error::AppResult;
use crate::forms::FieldErrors;

#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub pad: String,
}

/// A validated note form.
pub struct ValidNote {
    pub name: Name,
    pub text: NoteText,
    pub pad_id: Option<i64>,
}

impl NoteForm {
    /// Validates the fields; the pad must be one of `user_id`'s own pads.
    pub async fn validate(
        &self,
        db: &DatabaseConnection,
        user_id: i64,
    ) -> AppResult<Result<ValidNote, FieldErrors>> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", Name::parse(&self.name));
        let text = errors.check("text", NoteText::parse(&self.text));
        let pad_id = match self.pad.trim() {
            "" => Some(None),
            raw => match raw.parse::<i64>() {
                Ok(id) if pads::find_owned(db, user_id, id).await?.is_some() => Some(Some(id)),
                _ => {
                    errors.add(
                        "pad",
                        "Select a valid choice. That choice is not one of the available choices.",
                    );
                    None
                }
            },
        };
        Ok(match (name, text, pad_id) {
            (Some(name), Some(text), Some(pad_id)) if errors.is_empty() => {
                Ok(ValidNote { name, text, pad_id })
            }
            _ => Err(errors),
        })
    }
}

/// One option of the pad select.
#[derive(Debug)]
pub struct PadOption {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub fn pad_options(pads: &[PadSummary], selected: &str) -> Vec<PadOption> {
    pads.iter()
        .map(|pad| PadOption {
            id: pad.id,
            name: pad.name.clone(),
            selected: pad.id.to_string() == selected.trim(),
        })
        .collect()
}
