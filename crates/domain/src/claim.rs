//! A claim's life: where it came from and the state it is in (SPEC §2, §3).

use crate::vocab::CouponKind;

crate::vocab::word_enum! {
    /// How a claim came about.
    ClaimSource, "claim source" {
        /// The customer claimed it (storefront, live room, code).
        Claim = "claim",
        /// Granted on following the shop.
        Follow = "follow",
        /// Granted days after an order was delivered or shipped.
        Repurchase = "repurchase",
        /// Granted by staff (customer service).
        Manual = "manual",
        /// Granted on first joining the shop's membership (入会有礼).
        JoinGift = "join_gift",
        /// Granted for an order that reached a reward coupon's amount (满返).
        Reward = "reward",
        /// Granted to a sharer once enough friends joined their share.
        Share = "share",
        /// Granted to a friend for joining a share.
        ShareFriend = "share_friend",
    }
}

crate::vocab::word_enum! {
    /// `unused → used | expired | revoked`; `used → unused` again only when the
    /// order is cancelled before payment.
    ClaimState, "claim state" {
        Unused = "unused",
        Used = "used",
        Expired = "expired",
        Revoked = "revoked",
    }
}

impl ClaimSource {
    /// Whether a claim from this source may be of a coupon of `kind`: coupons
    /// customers cannot claim themselves (`grant_only`) come only as grants.
    pub fn may_take(self, kind: CouponKind) -> bool {
        self != ClaimSource::Claim || !kind.is_grant_only()
    }
}

impl CouponKind {
    /// Coupons only ever granted (SPEC §3 `grant_only`): repurchase, reward
    /// and share coupons.
    pub fn is_grant_only(self) -> bool {
        matches!(
            self,
            CouponKind::Repurchase | CouponKind::Reward | CouponKind::Share
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_cannot_claim_grant_only_coupons() {
        assert!(!ClaimSource::Claim.may_take(CouponKind::Repurchase));
        assert!(ClaimSource::Repurchase.may_take(CouponKind::Repurchase));
        assert!(ClaimSource::Manual.may_take(CouponKind::Repurchase));
        assert!(ClaimSource::Claim.may_take(CouponKind::Shop));
        assert_eq!("revoked".parse::<ClaimState>(), Ok(ClaimState::Revoked));
        assert!("lost".parse::<ClaimState>().is_err());
    }
}
