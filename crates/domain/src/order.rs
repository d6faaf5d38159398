//! An order's life (SPEC §7 order events): where it is, what the storefront may
//! report next, and what each report makes of it.

use crate::vocab::word_enum;

word_enum! {
    /// Where an order is: the last event it went through.
    OrderStatus, "order status" {
        Created = "created",
        Paid = "paid",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
        Refunded = "refunded",
    }
}

word_enum! {
    /// What the storefront reports of an order.
    OrderEvent, "order event" {
        Paid = "paid",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
        Refunded = "refunded",
    }
}

/// An event that cannot follow the order's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {} order cannot be marked {}", from.as_str(), event.as_str())]
pub struct NotAllowed {
    pub from: OrderStatus,
    pub event: OrderEvent,
}

impl OrderEvent {
    /// The status the event leaves an order in.
    pub fn status(self) -> OrderStatus {
        match self {
            OrderEvent::Paid => OrderStatus::Paid,
            OrderEvent::Shipped => OrderStatus::Shipped,
            OrderEvent::Delivered => OrderStatus::Delivered,
            OrderEvent::Cancelled => OrderStatus::Cancelled,
            OrderEvent::Refunded => OrderStatus::Refunded,
        }
    }
}

impl OrderStatus {
    /// The status after `event`, if it may follow this one: paid once created;
    /// shipped once paid; delivered once paid or shipped; cancelled before it
    /// ships; refunded once paid.
    pub fn after(self, event: OrderEvent) -> Result<OrderStatus, NotAllowed> {
        use OrderStatus::*;
        let allowed = match event {
            OrderEvent::Paid => self == Created,
            OrderEvent::Shipped => self == Paid,
            OrderEvent::Delivered => matches!(self, Paid | Shipped),
            OrderEvent::Cancelled => matches!(self, Created | Paid),
            OrderEvent::Refunded => matches!(self, Paid | Shipped | Delivered),
        };
        if allowed {
            Ok(event.status())
        } else {
            Err(NotAllowed { from: self, event })
        }
    }

    /// Whether a cancellation now hands the order's claims back: only before
    /// payment (a paid order's discount was given).
    pub fn returns_claims_on_cancel(self) -> bool {
        self == OrderStatus::Created
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_follow_the_orders_life() {
        use OrderEvent as E;
        use OrderStatus as S;
        assert_eq!(S::Created.after(E::Paid), Ok(S::Paid));
        assert_eq!(S::Paid.after(E::Delivered), Ok(S::Delivered));
        assert_eq!(S::Shipped.after(E::Delivered), Ok(S::Delivered));
        assert_eq!(S::Paid.after(E::Cancelled), Ok(S::Cancelled));
        assert_eq!(S::Delivered.after(E::Refunded), Ok(S::Refunded));
        let refused = S::Shipped.after(E::Cancelled).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "a shipped order cannot be marked cancelled"
        );
        assert!(S::Created.after(E::Shipped).is_err());
        assert!(S::Created.after(E::Refunded).is_err());
        assert!(S::Cancelled.after(E::Paid).is_err());
        assert!(S::Refunded.after(E::Refunded).is_err());
        // Every event's word is its status's word.
        for event in OrderEvent::ALL {
            assert_eq!(event.as_str(), event.status().as_str());
        }
    }
}
