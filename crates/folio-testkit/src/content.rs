//! Site content written straight to the database, for tests of the public pages that don't
//! need to go through the admin panel.

use chrono::{Duration, Utc};
use folio_db::entities::{category, item, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::TestApp;

/// Lower-case, dashes for everything else: enough for test titles.
fn slug(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

impl TestApp {
    /// A category named `name`, slug derived from it.
    pub async fn seed_category(&self, name: &str) -> category::Model {
        let now = Utc::now();
        category::ActiveModel {
            name: Set(name.to_owned()),
            slug: Set(slug(name)),
            summary: Set(format!("All about {name}.")),
            image_key: Set(None),
            position: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db())
        .await
        .unwrap()
    }

    /// An item in `category`, published `age_minutes` ago, or a draft. The body is stored as
    /// already-rendered HTML (`<p>body of …</p>`).
    pub async fn seed_item(&self, category: &category::Model, title: &str, published: bool) -> item::Model {
        self.seed_item_aged(category, title, published, 0).await
    }

    /// Like [`TestApp::seed_item`], published `age_minutes` before now.
    pub async fn seed_item_aged(
        &self,
        category: &category::Model,
        title: &str,
        published: bool,
        age_minutes: i64,
    ) -> item::Model {
        let now = Utc::now();
        item::ActiveModel {
            category_id: Set(category.id),
            title: Set(title.to_owned()),
            slug: Set(slug(title)),
            summary: Set(format!("Summary of {title}")),
            body: Set(format!("Body of {title}")),
            body_html: Set(format!("<p>Body of {title}</p>")),
            image_key: Set(None),
            status: Set(if published { item::PUBLISHED } else { item::DRAFT }.to_owned()),
            published_at: Set(published.then(|| now - Duration::minutes(age_minutes))),
            view_count: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db())
        .await
        .unwrap()
    }

    /// Makes the user with `email` staff (they must sign in again for the session to know).
    pub async fn promote_to_staff(&self, email: &str) {
        let result = user::Entity::update_many()
            .col_expr(user::Column::IsStaff, Expr::value(true))
            .filter(user::Column::Email.eq(email))
            .exec(self.db())
            .await
            .unwrap();
        assert_eq!(result.rows_affected, 1, "no user {email}");
    }
}
