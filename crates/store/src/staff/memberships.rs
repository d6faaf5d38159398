//! Shop memberships with roles: adding staff, changing roles, taking them off
//! a shop (a shop keeps an owner).

use chrono::{DateTime, Utc};
use domain::roles::Role;
use domain::vocab::TextError;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entities::{invitation, membership, staff};
use crate::error::{Conflict, Result, StoreError};
use crate::shops::{self, ShopRecord};

use super::*;

pub(super) async fn set_role_in(
    db: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
    role: Role,
) -> Result<()> {
    membership::Entity::insert(membership::ActiveModel {
        staff_id: Set(staff_id),
        shop_id: Set(shop_id),
        role: Set(role.as_str().into()),
    })
    .on_conflict(
        OnConflict::columns([membership::Column::StaffId, membership::Column::ShopId])
            .update_column(membership::Column::Role)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Who an owner adds to their shop: an email, a name for a new account, a role.
#[derive(Debug, Clone, Copy)]
pub struct Joining<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
}

/// What adding someone to a shop did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new account, with its generated password (shown once).
    NewAccount(StaffRecord, String),
    /// An email that has an account: it is invited, and joins only when its
    /// owner accepts after signing in (nothing about their other shops is told).
    Invited { staff_id: i64, email: String },
}

/// Adds a staff member to a shop with a role, inside the caller's transaction:
/// a new email gets an account with `password` (to be replaced at its first
/// sign-in); an existing account is invited (again: the role is updated);
/// someone already in this shop is a conflict.
pub async fn add_to_shop(
    tx: &impl ConnectionTrait,
    person: Joining<'_>,
    shop_id: i64,
    password: NewPassword,
    by: i64,
    now: DateTime<Utc>,
) -> Result<Added> {
    let Joining { email, name, role } = person;
    let email = domain::ids::email(email)?;
    let name = name.trim();
    if name.chars().count() > 100 {
        return Err(StoreError::invalid("name", TextError::TooLong(100)));
    }
    let existing = staff::Entity::find()
        .filter(staff::Column::Email.eq(&email))
        .one(tx)
        .await?;
    if let Some(row) = existing {
        let member = membership::Entity::find_by_id((row.id, shop_id))
            .one(tx)
            .await?;
        if member.is_some() {
            return Err(Conflict::AlreadyInShop(email.clone()).into());
        }
        invitation::Entity::insert(invitation::ActiveModel {
            shop_id: Set(shop_id),
            staff_id: Set(row.id),
            role: Set(role.as_str().into()),
            invited_by: Set(Some(by)),
            created_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([invitation::Column::ShopId, invitation::Column::StaffId])
                .update_columns([invitation::Column::Role, invitation::Column::InvitedBy])
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
        return Ok(Added::Invited {
            staff_id: row.id,
            email,
        });
    }
    let created = create_staff_in(tx, &email, name, &password.hash, role, shop_id, now).await?;
    Ok(Added::NewAccount(created, password.plain))
}

/// A shop's staff with their roles, by name.
pub async fn shop_staff(
    db: &impl ConnectionTrait,
    shop_id: i64,
) -> Result<Vec<(StaffRecord, Role)>> {
    let members = membership::Entity::find()
        .filter(membership::Column::ShopId.eq(shop_id))
        .all(db)
        .await?;
    let people = staff::Entity::find()
        .filter(staff::Column::Id.is_in(members.iter().map(|m| m.staff_id)))
        .order_by_asc(staff::Column::Name)
        .all(db)
        .await?;
    people
        .iter()
        .map(|person| {
            let role = members
                .iter()
                .find(|m| m.staff_id == person.id)
                .map(|m| m.role.as_str())
                .unwrap_or_default();
            let role = role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("membership role {role}")))?;
            Ok((record(person), role))
        })
        .collect()
}

/// A membership as the audit log keeps it: who (email, name) and their role.
pub async fn membership_row(
    db: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
) -> Result<Option<serde_json::Value>> {
    let Some(member) = membership::Entity::find_by_id((staff_id, shop_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let person = staff::Entity::find_by_id(staff_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("staff member"))?;
    Ok(Some(serde_json::json!({
        "email": person.email, "name": person.name, "role": member.role,
    })))
}

/// Owners of the shop other than `staff_id`.
async fn other_owners(db: &impl ConnectionTrait, shop_id: i64, staff_id: i64) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(membership::Entity::find()
        .filter(membership::Column::ShopId.eq(shop_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .filter(membership::Column::StaffId.ne(staff_id))
        .count(db)
        .await?)
}

/// A change to someone's membership may go ahead: they work here, and the shop
/// keeps an owner when they are no longer one (`stays_owner` false).
async fn may_change(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
    stays_owner: bool,
) -> Result<()> {
    // Membership changes of one shop take turns (on PostgreSQL the shop row is
    // locked; SQLite has one writer), so two owners demoting each other at once
    // cannot both see the other still an owner.
    crate::entities::shop::Entity::find_by_id(shop_id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    if membership::Entity::find_by_id((staff_id, shop_id))
        .one(tx)
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound("staff member"));
    }
    if !stays_owner && other_owners(tx, shop_id, staff_id).await? == 0 {
        return Err(Conflict::LastOwner.into());
    }
    Ok(())
}

/// Changes a member's role; a shop always keeps at least one owner.
pub async fn change_role(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
    role: Role,
) -> Result<()> {
    may_change(tx, staff_id, shop_id, role == Role::Owner).await?;
    set_role_in(tx, staff_id, shop_id, role).await
}

/// Takes someone off the shop (their account stays, for other shops); a shop
/// always keeps at least one owner.
pub async fn remove_from_shop(
    tx: &impl ConnectionTrait,
    staff_id: i64,
    shop_id: i64,
) -> Result<()> {
    may_change(tx, staff_id, shop_id, false).await?;
    membership::Entity::delete_by_id((staff_id, shop_id))
        .exec(tx)
        .await?;
    Ok(())
}

/// The shops a staff member works for, with their role, oldest shop first; two
/// queries however many shops (this runs on every admin request).
pub async fn memberships(
    db: &impl ConnectionTrait,
    staff_id: i64,
) -> Result<Vec<(ShopRecord, Role)>> {
    use crate::entities::shop;
    let rows = membership::Entity::find()
        .filter(membership::Column::StaffId.eq(staff_id))
        .all(db)
        .await?;
    let found = shop::Entity::find()
        .filter(shop::Column::Id.is_in(rows.iter().map(|m| m.shop_id)))
        .order_by_asc(shop::Column::Id)
        .all(db)
        .await?;
    found
        .into_iter()
        .map(|row| {
            let member = rows
                .iter()
                .find(|m| m.shop_id == row.id)
                .expect("shops were read by membership");
            let role = member
                .role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("membership role {}", member.role)))?;
            Ok((shops::from_row(row)?, role))
        })
        .collect()
}

/// An invitation to a shop, as the invited person or the shop's owners see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub id: i64,
    pub shop_name: String,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

fn invitation_record(
    row: &invitation::Model,
    shop_name: &str,
    email: &str,
) -> Result<InvitationRecord> {
    Ok(InvitationRecord {
        id: row.id,
        shop_name: shop_name.to_owned(),
        email: email.to_owned(),
        role: row
            .role
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("invitation role {}", row.role)))?,
        created_at: row.created_at,
    })
}

/// The invitations waiting for this account, oldest first.
pub async fn invitations_of(
    db: &impl ConnectionTrait,
    staff_id: i64,
) -> Result<Vec<InvitationRecord>> {
    let person = staff::Entity::find_by_id(staff_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("staff"))?;
    let rows = invitation::Entity::find()
        .filter(invitation::Column::StaffId.eq(staff_id))
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let shop = shops::get_shop(db, row.shop_id).await?;
        out.push(invitation_record(row, &shop.name, &person.email)?);
    }
    Ok(out)
}

/// The invitations a shop has sent that wait for an answer, oldest first.
pub async fn shop_invitations(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
) -> Result<Vec<InvitationRecord>> {
    let rows = invitation::Entity::find()
        .filter(invitation::Column::ShopId.eq(shop.id))
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await?;
    let people = staff::Entity::find()
        .filter(staff::Column::Id.is_in(rows.iter().map(|r| r.staff_id)))
        .all(db)
        .await?;
    rows.iter()
        .map(|row| {
            let email = people
                .iter()
                .find(|p| p.id == row.staff_id)
                .map(|p| p.email.as_str())
                .unwrap_or_default();
            invitation_record(row, &shop.name, email)
        })
        .collect()
}

/// The invited person answers: accepting makes them a member with the role
/// they were invited with; either way the invitation is gone. Only their own
/// invitations (another's is not found). Returns the shop on accepting.
pub async fn answer_invitation(
    db: &sea_orm::DatabaseConnection,
    staff_id: i64,
    invitation_id: i64,
    accept: bool,
) -> Result<Option<ShopRecord>> {
    crate::db::write(db, async |tx| {
        let row = invitation::Entity::find_by_id(invitation_id)
            .filter(invitation::Column::StaffId.eq(staff_id))
            .one(tx)
            .await?
            .ok_or(StoreError::NotFound("invitation"))?;
        invitation::Entity::delete_by_id(row.id).exec(tx).await?;
        if !accept {
            return Ok(None);
        }
        let role: Role = row
            .role
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("invitation role {}", row.role)))?;
        set_role_in(tx, staff_id, row.shop_id, role).await?;
        Ok(Some(shops::get_shop(tx, row.shop_id).await?))
    })
    .await
}
