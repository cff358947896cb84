//! Site content written straight to the database, for tests of the public pages that don't
//! need to go through the admin panel.

use chrono::{Duration, Utc};
use folio_db::entities::{category, item, subscriber};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

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

    /// `count` subscribers `{prefix}{i}@example.org` (i from 0), confirmed or not, inserted a
    /// thousand rows per statement (the notification benchmark seeds 10,000); returned in id
    /// order.
    pub async fn seed_subscribers(
        &self,
        prefix: &str,
        count: usize,
        confirmed: bool,
    ) -> Vec<subscriber::Model> {
        let now = Utc::now();
        let rows: Vec<subscriber::ActiveModel> = (0..count)
            .map(|i| subscriber::ActiveModel {
                email: Set(format!("{prefix}{i}@example.org")),
                user_id: Set(None),
                token: Set(uuid::Uuid::new_v4().simple().to_string()),
                confirmed: Set(confirmed),
                created_at: Set(now),
                confirmed_at: Set(confirmed.then_some(now)),
                ..Default::default()
            })
            .collect();
        for chunk in rows.chunks(1000) {
            subscriber::Entity::insert_many(chunk.to_vec())
                .exec(self.db())
                .await
                .unwrap();
        }
        subscriber::Entity::find()
            .filter(subscriber::Column::Email.starts_with(prefix))
            .order_by_asc(subscriber::Column::Id)
            .all(self.db())
            .await
            .unwrap()
    }
}
