//! Rendering pages, and the admin's one error type: every failure becomes a page
//! a merchant can read (askama_web would answer a bare 500 on a template error).

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, LOCATION};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::i18n::{Lang, T};

/// Shown when even the error page cannot be rendered.
const LAST_RESORT: &str = "<!DOCTYPE html><meta charset=utf-8><title>merchant-ops</title>\
<h1>出错了 · Something went wrong</h1><p>请稍后重试。Please try again shortly.</p>";

/// Renders a page, or a friendly error page if the template fails.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(html),
        Err(error) => {
            tracing::error!(%error, "template failed to render");
            HttpResponse::InternalServerError()
                .content_type(ContentType::html())
                .body(LAST_RESORT)
        }
    }
}

/// A CSV download (SPEC §8): the header, then the rows, written with the `csv`
/// crate, served as an attachment named `filename`.
pub fn csv_download(
    filename: &str,
    header: &[String],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> HttpResponse {
    let mut out = csv::Writer::from_writer(Vec::new());
    let written = (|| -> Result<Vec<u8>, csv::Error> {
        out.write_record(header)?;
        for row in rows {
            out.write_record(&row)?;
        }
        out.into_inner().map_err(|e| e.into_error().into())
    })();
    match written {
        Ok(body) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{filename}\""),
            ))
            .body(body),
        // Writing into memory fails only on a bug; say so rather than send half.
        Err(error) => {
            tracing::error!(%error, "CSV download");
            HttpResponse::InternalServerError().finish()
        }
    }
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to))
        .finish()
}

/// The layout's navigation; `None` on pages outside a shop (sign-in, errors).
pub struct Nav {
    pub shops: Vec<NavShop>,
    pub shop_slug: String,
    pub section: &'static str,
    /// Owners see the staff, keys and audit pages.
    pub manage: bool,
    pub staff_name: String,
    pub role_name: &'static str,
    pub csrf: String,
    pub here: String,
}

pub struct NavShop {
    pub slug: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: T,
    nav: Option<Nav>,
    title: &'a str,
    message: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Not signed in: off to the sign-in page.
    SignIn,
    /// Signed in with a generated password: off to choose one's own.
    ChangePassword,
    /// No such page, or another shop's.
    NotFound,
    /// A form without this session's CSRF token: a stale page or another site.
    Expired,
    /// Beyond the staff member's role in this shop.
    NotAllowed,
    /// The database cannot take writes now (full disk, read-only, out of reach).
    Unavailable,
    Internal,
}

#[derive(Debug, Clone, Copy)]
pub struct AdminError {
    pub failure: Failure,
    pub lang: Lang,
}

impl AdminError {
    pub fn new(failure: Failure, lang: Lang) -> AdminError {
        AdminError { failure, lang }
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.failure)
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self.failure {
            Failure::SignIn | Failure::ChangePassword => StatusCode::SEE_OTHER,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::Expired | Failure::NotAllowed => StatusCode::FORBIDDEN,
            Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let t = T::new(self.lang);
        let (title, message) = match self.failure {
            Failure::SignIn => return redirect("/login"),
            Failure::ChangePassword => return redirect("/account"),
            Failure::NotFound => ("error.not_found", "error.not_found_text"),
            Failure::Expired => ("error.forbidden", "error.forbidden_text"),
            Failure::NotAllowed => ("error.not_allowed", "error.not_allowed_text"),
            Failure::Unavailable => ("error.unavailable", "error.unavailable_text"),
            Failure::Internal => ("error.internal", "error.internal_text"),
        };
        render(
            self.status_code(),
            &ErrorPage {
                t,
                nav: None,
                title: t.t(title),
                message: t.t(message),
            },
        )
    }
}

impl From<store::StoreError> for AdminError {
    fn from(error: store::StoreError) -> Self {
        match error {
            store::StoreError::NotFound(_) => AdminError::new(Failure::NotFound, Lang::Zh),
            store::StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "admin request: storage unavailable");
                AdminError::new(Failure::Unavailable, Lang::Zh)
            }
            other => {
                tracing::error!(error = %other, "admin request failed");
                AdminError::new(Failure::Internal, Lang::Zh)
            }
        }
    }
}
