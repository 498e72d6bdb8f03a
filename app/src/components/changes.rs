//! The changes a page makes through its forms. Each form is an `ActionForm` posting to a server
//! function: pages are server-rendered islands, so outside an island it is a plain HTML POST
//! answered by a redirect to the page, which renders afresh with the outcome in its query. Inside
//! an island (none has such a form today) the client would call the function and the page's
//! resources would read again: that is what the counter below is for.
use leptos::prelude::*;

use crate::errors::AppError;

/// Counts the changes made on this page; a resource that reads [`Changes::track`] reads again
/// after each. Also keeps the last change's error (a session that ended, a failed request), which
/// a redirect cannot carry.
#[derive(Clone, Copy)]
pub struct Changes {
    count: RwSignal<u64>,
    failure: RwSignal<Option<AppError>>,
}

impl Changes {
    /// Provides this page's counter to its forms.
    pub fn provide() -> Changes {
        let changes = Changes { count: RwSignal::new(0), failure: RwSignal::new(None) };
        provide_context(changes);
        changes
    }

    /// The page's counter (a fresh, unshared one outside a page that provides it).
    pub fn of_page() -> Changes {
        use_context::<Changes>().unwrap_or_else(|| Changes { count: RwSignal::new(0), failure: RwSignal::new(None) })
    }

    /// Read by a resource's source: it reads again after every change.
    pub fn track(&self) -> u64 {
        self.count.get()
    }

    /// The last change's error, for the page's banner.
    pub fn failure(&self) -> Option<AppError> {
        self.failure.get()
    }

    /// Watches one form's action: when it completes, the page's resources read again.
    pub fn watch(&self, version: RwSignal<usize>, latest: impl Fn() -> Option<Result<String, AppError>> + 'static) {
        let changes = *self;
        Effect::new(move |previous: Option<usize>| {
            let now = version.get();
            if previous.is_some_and(|p| p != now) {
                changes.failure.set(latest().and_then(Result::err));
                changes.count.update(|n| *n += 1);
            }
            now
        });
    }
}
