//! The audit log: every change staff make, written in the same transaction as the
//! change itself — if the change is rolled back, so is its entry, and a change
//! never lands without one.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::Value;

use crate::entities::audit_entry;
use crate::error::Result;

/// Who changes what, where, and when.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub shop_id: i64,
    pub staff_id: i64,
    pub at: DateTime<Utc>,
}

/// What one staff action changed: the entity before and after (`None` for a
/// creation or a removal).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Columns whose values never enter the log (only that they changed).
const SECRET_FIELDS: &[&str] = &["password_hash", "secret_hash", "webhook_secret"];
pub const HIDDEN: &str = "(hidden)";

/// A row as the log keeps it: JSON, secrets hidden.
pub fn snapshot(value: &impl Serialize) -> Value {
    let mut json = serde_json::to_value(value).expect("rows serialise");
    if let Value::Object(map) = &mut json {
        for field in SECRET_FIELDS {
            if let Some(secret) = map.get_mut(*field)
                && !secret.is_null()
            {
                *secret = Value::String(HIDDEN.into());
            }
        }
    }
    json
}

impl Change {
    pub fn new(action: &'static str, entity: &'static str, entity_id: impl ToString) -> Change {
        Change {
            action,
            entity,
            entity_id: Some(entity_id.to_string()),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, row: Option<Value>) -> Change {
        self.before = row.map(|r| snapshot(&r));
        self
    }

    pub fn after(mut self, row: Option<Value>) -> Change {
        self.after = row.map(|r| snapshot(&r));
        self
    }
}

/// A row by id as JSON (secrets hidden), to log what a change found and left.
pub(crate) async fn row<E>(db: &impl ConnectionTrait, id: i64) -> Result<Option<Value>>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i64>,
{
    let found = E::find_by_id(id).into_json().one(db).await?;
    Ok(found.map(|row| snapshot(&row)))
}

/// Writes one entry inside the caller's transaction.
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, change: Change) -> Result<()> {
    audit_entry::ActiveModel {
        shop_id: Set(Some(actor.shop_id)),
        staff_id: Set(Some(actor.staff_id)),
        action: Set(change.action.into()),
        entity: Set(change.entity.into()),
        entity_id: Set(change.entity_id),
        before: Set(change.before.map(|v| v.to_string())),
        after: Set(change.after.map(|v| v.to_string())),
        at: Set(actor.at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Runs a staff change and logs it in one write transaction: `work` returns its
/// result and what it changed; an error rolls back both.
pub async fn write<T>(
    db: &DatabaseConnection,
    actor: &Actor,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<(T, Change)>,
) -> Result<T> {
    crate::db::write(db, async |tx| {
        let (value, change) = work(tx).await?;
        record(tx, actor, change).await?;
        Ok(value)
    })
    .await
}

/// The tables a staff change to one row is logged for, by the name the audit
/// log gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    ApiKey,
    Claim,
    CodeBatch,
    Coupon,
    Notification,
    Product,
    Shop,
}

impl Table {
    /// The entity's name in the log.
    pub fn entity(self) -> &'static str {
        match self {
            Table::ApiKey => "api_key",
            Table::Claim => "claim",
            Table::CodeBatch => "code_batch",
            Table::Coupon => "coupon",
            Table::Notification => "notification",
            Table::Product => "product",
            Table::Shop => "shop",
        }
    }

    async fn row(self, db: &impl ConnectionTrait, id: i64) -> Result<Option<Value>> {
        use crate::entities::{api_key, claim, code_batch, coupon, notification, product, shop};
        match self {
            Table::ApiKey => row::<api_key::Entity>(db, id).await,
            Table::Claim => row::<claim::Entity>(db, id).await,
            Table::CodeBatch => row::<code_batch::Entity>(db, id).await,
            Table::Coupon => row::<coupon::Entity>(db, id).await,
            Table::Notification => row::<notification::Entity>(db, id).await,
            Table::Product => row::<product::Entity>(db, id).await,
            Table::Shop => row::<shop::Entity>(db, id).await,
        }
    }
}

/// A staff change to one row of `table`, logged with the row as it was (when
/// `existing` names it) and as `work` left it: `work` returns the row's id and
/// its result.
pub async fn write_row<T>(
    db: &DatabaseConnection,
    actor: &Actor,
    action: &'static str,
    table: Table,
    existing: Option<i64>,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<(i64, T)>,
) -> Result<T> {
    crate::db::write(db, async |tx| {
        let before = match existing {
            Some(id) => table.row(tx, id).await?,
            None => None,
        };
        let (id, value) = work(tx).await?;
        let after = table.row(tx, id).await?;
        if before.is_some() && without_stamp(&before) == without_stamp(&after) {
            // Saved as it was: nothing changed, nothing to log.
            return Ok(value);
        }
        record(
            tx,
            actor,
            Change::new(action, table.entity(), id)
                .before(before)
                .after(after),
        )
        .await?;
        Ok(value)
    })
    .await
}

/// A row without its `updated_at`, which every save moves.
fn without_stamp(row: &Option<Value>) -> Option<Value> {
    let mut row = row.clone();
    if let Some(Value::Object(map)) = &mut row {
        map.remove("updated_at");
    }
    row
}

/// One entry as the audit page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: i64,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub at: DateTime<Utc>,
}

impl Entry {
    /// The fields that differ, as (field, before, after); for a creation every
    /// field of the new row, for a removal every field of the old one.
    pub fn changes(&self) -> Vec<(String, Option<Value>, Option<Value>)> {
        let empty = serde_json::Map::new();
        let fields = |v: &Option<Value>| match v {
            Some(Value::Object(map)) => map.clone(),
            _ => empty.clone(),
        };
        let (before, after) = (fields(&self.before), fields(&self.after));
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        // A column absent on one side and empty (null) on the other did not change.
        let null = Value::Null;
        keys.into_iter()
            .filter(|k| before.get(*k).unwrap_or(&null) != after.get(*k).unwrap_or(&null))
            .map(|k| (k.clone(), before.get(k).cloned(), after.get(k).cloned()))
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub staff_id: Option<i64>,
    pub before: Option<i64>,
    pub limit: u64,
}

/// Newest first, keyset-paged on the id.
pub async fn entries(
    db: &impl ConnectionTrait,
    shop_id: i64,
    filter: &AuditFilter,
) -> Result<Vec<Entry>> {
    use crate::entities::staff;
    let mut query = audit_entry::Entity::find().filter(audit_entry::Column::ShopId.eq(shop_id));
    if let Some(entity) = filter.entity.as_deref().filter(|e| !e.is_empty()) {
        query = query.filter(audit_entry::Column::Entity.eq(entity));
    }
    if let Some(staff_id) = filter.staff_id {
        query = query.filter(audit_entry::Column::StaffId.eq(staff_id));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_entry::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(audit_entry::Column::Id)
        // 0 (the default) means a page of 50.
        .limit(if filter.limit == 0 {
            50
        } else {
            filter.limit.min(200)
        })
        .all(db)
        .await?;
    let mut staff_ids: Vec<i64> = rows.iter().filter_map(|r| r.staff_id).collect();
    staff_ids.sort_unstable();
    staff_ids.dedup();
    let names: Vec<(i64, String)> = staff::Entity::find()
        .filter(staff::Column::Id.is_in(staff_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    Ok(rows
        .into_iter()
        .map(|row| Entry {
            id: row.id,
            staff_id: row.staff_id,
            staff_name: row
                .staff_id
                .and_then(|id| names.iter().find(|(i, _)| *i == id))
                .map(|(_, n)| n.clone()),
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            before: parse(row.before),
            after: parse(row.after),
            at: row.at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(before: Option<Value>, after: Option<Value>) -> Entry {
        Entry {
            id: 1,
            staff_id: None,
            staff_name: None,
            action: "update".into(),
            entity: "coupon".into(),
            entity_id: None,
            before,
            after,
            at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn changes_are_the_fields_that_differ() {
        let edited = entry(
            Some(json!({"name": "a", "quantity": 10, "note": null})),
            Some(json!({"name": "b", "quantity": 10, "note": null})),
        );
        assert_eq!(
            edited.changes(),
            vec![("name".into(), Some(json!("a")), Some(json!("b")))]
        );
        // A creation lists what the row holds, not its empty columns.
        let created = entry(None, Some(json!({"label": "x", "revoked_at": null})));
        assert_eq!(
            created.changes(),
            vec![("label".into(), None, Some(json!("x")))]
        );
    }

    #[test]
    fn secrets_never_enter_the_log() {
        let row = snapshot(&json!({"secret_hash": "abc", "webhook_secret": null, "name": "n"}));
        assert_eq!(row["secret_hash"], HIDDEN);
        assert_eq!(
            row["webhook_secret"],
            Value::Null,
            "an empty secret stays empty"
        );
        assert_eq!(row["name"], "n");
    }
}
