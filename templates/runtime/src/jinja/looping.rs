//! State of a `{% for %}` loop and the `loop` variable.
//!
//! As in Jinja2, a loop filter (`for x in xs if test`) is evaluated lazily: an item is tested
//! when the loop reaches it, or earlier when `loop.last`, `loop.nextitem` or `loop.length`
//! needs to look ahead.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use super::decode::{Node, Target};
use super::value::Value;

/// The filter of a loop and where it is evaluated.
#[derive(Clone, Debug)]
pub(crate) struct LoopFilter {
    pub(crate) target: Rc<Target>,
    pub(crate) test: Rc<Node>,
    /// Number of scopes outside the loop: the filter sees those plus the loop target.
    pub(crate) base_depth: usize,
}

/// Items of one loop, shared by the `loop` values of all its iterations.
#[derive(Debug)]
pub(crate) struct LoopState {
    /// Items that passed the filter so far (every item when there is no filter).
    pub(crate) accepted: Vec<Value>,
    /// Items not tested yet.
    pub(crate) pending: VecDeque<Value>,
    pub(crate) filter: Option<LoopFilter>,
    /// Arguments of the last `loop.changed(...)` call.
    pub(crate) last_changed: Option<Vec<Value>>,
}

impl LoopState {
    /// A loop over `items`, filtered by `filter` when given.
    pub(crate) fn new(items: Vec<Value>, filter: Option<LoopFilter>) -> LoopState {
        match filter {
            None => LoopState {
                accepted: items,
                pending: VecDeque::new(),
                filter: None,
                last_changed: None,
            },
            Some(filter) => LoopState {
                accepted: Vec::new(),
                pending: items.into(),
                filter: Some(filter),
                last_changed: None,
            },
        }
    }
}

/// The `loop` variable of one iteration.
#[derive(Debug)]
pub struct LoopRef {
    pub(crate) index0: usize,
    pub(crate) state: Rc<RefCell<LoopState>>,
}

impl LoopRef {
    /// Jinja2's `repr(loop)`: `<LoopContext 1/3>` (the length counts the items known to pass
    /// the filter).
    pub(crate) fn repr(&self) -> String {
        let state = self.state.borrow();
        let length = state.accepted.len()
            + if state.filter.is_none() {
                state.pending.len()
            } else {
                0
            };
        format!("<LoopContext {}/{}>", self.index0 + 1, length)
    }
}
