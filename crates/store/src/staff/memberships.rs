//! Shop memberships with roles: adding staff, changing roles, taking them off
//! a shop (a shop keeps an owner).

use chrono::{DateTime, Utc};
use domain::Reason;
use domain::roles::Role;
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

/// Who an owner invites to their shop: an email and a role.
#[derive(Debug, Clone, Copy)]
pub struct Joining<'a> {
    pub email: &'a str,
    pub role: Role,
}

/// How long an invitation code can be used.
pub const INVITATION_LASTS: chrono::Duration = chrono::Duration::days(7);
/// Invitations a shop may have waiting at once: the team page lists them all.
pub const MAX_WAITING_INVITATIONS: u32 = 100;

/// An invitation just made: its code is shown once, to the owner who hands it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub id: i64,
    pub email: String,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Invites `email` to the shop with a role, inside the caller's transaction
/// (SPEC §11). The answer is the same whether the email has an account or not —
/// the owner learns nothing about accounts or other shops: a one-time code the
/// person brings to `/join` (with their password, or a new one). Inviting the
/// same email again replaces the code; someone in this shop already is a
/// conflict.
pub async fn invite(
    tx: &impl ConnectionTrait,
    person: Joining<'_>,
    shop_id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<NewInvitation> {
    let email = domain::ids::email(person.email)?;
    let existing = staff::Entity::find()
        .filter(staff::Column::Email.eq(&email))
        .one(tx)
        .await?;
    if let Some(row) = existing
        && membership::Entity::find_by_id((row.id, shop_id))
            .one(tx)
            .await?
            .is_some()
    {
        return Err(Conflict::AlreadyInShop(email).into());
    }
    {
        use sea_orm::PaginatorTrait;
        let waiting = invitation::Entity::find()
            .filter(invitation::Column::ShopId.eq(shop_id))
            .filter(invitation::Column::ExpiresAt.gt(now))
            .filter(invitation::Column::Email.ne(&email))
            .count(tx)
            .await?;
        if waiting >= u64::from(MAX_WAITING_INVITATIONS) {
            return Err(StoreError::invalid(
                "email",
                Reason::TooManyInvitations(MAX_WAITING_INVITATIONS),
            ));
        }
    }
    let code = invitation_code();
    let expires_at = now + INVITATION_LASTS;
    invitation::Entity::insert(invitation::ActiveModel {
        shop_id: Set(shop_id),
        email: Set(email.clone()),
        role: Set(person.role.as_str().into()),
        code_hash: Set(code_digest(&code)),
        invited_by: Set(Some(by)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([invitation::Column::ShopId, invitation::Column::Email])
            .update_columns([
                invitation::Column::Role,
                invitation::Column::CodeHash,
                invitation::Column::InvitedBy,
                invitation::Column::CreatedAt,
                invitation::Column::ExpiresAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    let row = invitation::Entity::find()
        .filter(invitation::Column::ShopId.eq(shop_id))
        .filter(invitation::Column::Email.eq(&email))
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound("invitation"))?;
    Ok(NewInvitation {
        id: row.id,
        email,
        code,
        expires_at,
    })
}

/// A one-time invitation code: 16 characters that read aloud (about 93 bits).
fn invitation_code() -> String {
    generate_password()
}

pub(super) fn code_digest(code: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(code.trim().as_bytes()))
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

/// An invitation not used yet, as the shop's owners see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Retention: invitations whose code has expired.
pub async fn purge_invitations(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let gone = invitation::Entity::delete_many()
        .filter(invitation::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(gone.rows_affected)
}

/// The invitations a shop has sent that are not used yet, oldest first.
pub async fn shop_invitations(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
) -> Result<Vec<InvitationRecord>> {
    invitation::Entity::find()
        .filter(invitation::Column::ShopId.eq(shop.id))
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok(InvitationRecord {
                id: row.id,
                role: row
                    .role
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("invitation role {}", row.role)))?,
                email: row.email,
                created_at: row.created_at,
                expires_at: row.expires_at,
            })
        })
        .collect()
}
