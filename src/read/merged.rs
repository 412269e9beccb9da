//! Merged cells (合并单元格), as a hand-made HR sheet has them: one department merged down the
//! rows of its people. Only a range's top-left cell holds the value; the person sees it in
//! every cell of the range, so each cell of a range that spans rows is read as that value.
//!
//! An xlsx names its merged ranges after its rows, so they are read before the rows, a second
//! pass over the sheet ([`super::marks`]): only for workbooks made by hand (a 100,000-row
//! export has none, and the pass would add some 40 % to its check).

use super::{cell_ref, Cell, RawRow, MAX_COLUMNS};
use crate::remedy::Advice;

/// Ranges wider than this are titles or banners, not a value for each row under it.
const MAX_WIDTH: u32 = 32;

/// At most this many ranges are looked at, and this many cells filled (a hostile file's
/// ranges cannot make rows of millions of cells).
pub const MAX_RANGES: usize = 10_000;
const MAX_FILLED: usize = 1_000_000;

/// A merged range, 0-based and inclusive, that spans rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    top: u32,
    bottom: u32,
    left: u32,
    right: u32,
}

/// Fills the rows under each merged range's first with its value, as rows come in order.
#[derive(Debug, Default)]
pub struct Fill {
    /// By top row, the ones not reached yet last.
    waiting: Vec<Range>,
    /// Reached, each with its top-left value once its first row was seen, and its place in
    /// `used` once it filled a cell.
    open: Vec<(Range, Option<Cell>, Option<usize>)>,
    filled: usize,
    /// The ranges that filled a cell, for the warning.
    used: Vec<Used>,
}

/// A merged range that gave its value to cells under its first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    /// As `D2:D4`.
    pub name: String,
    /// Its first and last rows, 1-based.
    pub top: u32,
    pub bottom: u32,
    /// The cells it filled.
    pub cells: usize,
}

/// Whether the range `((top, left), (bottom, right))` (0-based, inclusive) gives its value to
/// the rows under its first: it spans rows, and it is no wider than a few columns (a title or
/// a banner is wider) and within Excel's columns (a hostile range far to the right made rows
/// that long).
pub fn fills(((top, left), (bottom, right)): ((u32, u32), (u32, u32))) -> bool {
    bottom > top && right >= left && right - left < MAX_WIDTH && (right as usize) < MAX_COLUMNS
}

impl Fill {
    /// Of the ranges `(top, left, bottom, right)` (0-based, inclusive) those that span rows.
    pub fn new(ranges: impl IntoIterator<Item = ((u32, u32), (u32, u32))>) -> Fill {
        let mut waiting: Vec<Range> = (ranges.into_iter())
            .filter(|&range| fills(range))
            .map(|((top, left), (bottom, right))| Range {
                top,
                bottom,
                left,
                right,
            })
            .take(MAX_RANGES)
            .collect();
        // Popped from the end: the first range (by row, then column) last.
        waiting.sort_unstable_by_key(|r| std::cmp::Reverse((r.top, r.left)));
        Fill {
            waiting,
            ..Fill::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Reads `row` as the person sees it: each empty cell under a range's first row, the
    /// range's value. Rows come in sheet order.
    pub fn apply(&mut self, row: &mut RawRow) {
        let r = row.source_row.saturating_sub(1);
        while self.waiting.last().is_some_and(|m| m.top <= r) {
            if let Some(m) = self.waiting.pop() {
                self.open.push((m, None, None));
            }
        }
        self.open.retain(|(m, _, _)| m.bottom >= r);
        for (m, value, used) in &mut self.open {
            if m.top == r {
                *value = Some(
                    row.cells
                        .get(m.left as usize)
                        .cloned()
                        .unwrap_or(Cell::Empty),
                )
                .filter(|v| !v.is_empty());
                continue;
            }
            let Some(value) = value.as_ref().filter(|_| m.top < r) else {
                continue;
            };
            let mut cells = 0;
            for c in m.left as usize..=m.right as usize {
                if self.filled >= MAX_FILLED {
                    break;
                }
                if c >= row.cells.len() {
                    row.cells.resize(c + 1, Cell::Empty);
                }
                if row.cells[c].is_empty() {
                    row.cells[c] = value.clone();
                    self.filled += 1;
                    cells += 1;
                }
            }
            if cells == 0 {
                continue;
            }
            let at = *used.get_or_insert_with(|| {
                self.used.push(Used {
                    name: format!(
                        "{}:{}",
                        cell_ref(m.left as usize, m.top + 1),
                        cell_ref(m.right as usize, m.bottom + 1)
                    ),
                    top: m.top + 1,
                    bottom: m.bottom + 1,
                    cells: 0,
                });
                self.used.len() - 1
            });
            self.used[at].cells += cells;
        }
    }

    /// The ranges that filled cells, in the order they first did.
    pub fn used(self) -> Vec<Used> {
        self.used
    }
}

/// The warning that cells were read from their merged range's value, naming the first few
/// ranges, of the ranges with a row below the header's last row `header` that is not one of
/// the rows `again` (in order) left out as the header repeated: a header's own merged titles,
/// and those of its copies under the people, are no one's value. None when no such cell was.
pub fn said(used: &[Used], header: u32, again: &[u32]) -> Option<Advice> {
    // The rows from `lo` to `bottom` are all in `again` (distinct, in order) when it holds as
    // many of them as there are.
    let in_again = |lo: u32, bottom: u32| {
        let n = again.partition_point(|&r| r <= bottom) - again.partition_point(|&r| r < lo);
        n as u64 > u64::from(bottom - lo)
    };
    let below: Vec<&Used> = (used.iter())
        .filter(|u| {
            let lo = u.top.max(header.saturating_add(1));
            lo <= u.bottom && !in_again(lo, u.bottom)
        })
        .collect();
    if below.is_empty() {
        return None;
    }
    let filled: usize = below.iter().map(|u| u.cells).sum();
    let mut named: Vec<&str> = below.iter().take(5).map(|u| u.name.as_str()).collect();
    if below.len() > 5 {
        named.push("…");
    }
    Some(Advice::new(format!(
        "合并单元格:{filled} 个单元格按其合并区域左上角的值读取 ({}) ({filled} cells of merged ranges were read as the value their range shows: {})",
        named.join("、"),
        named.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u32, cells: &[&str]) -> RawRow {
        RawRow {
            source_row: n,
            hidden: false,
            cells: cells
                .iter()
                .map(|c| match c.is_empty() {
                    true => Cell::Empty,
                    false => Cell::Text(c.to_string()),
                })
                .collect(),
        }
    }

    fn texts(row: &RawRow) -> Vec<String> {
        row.cells.iter().map(Cell::display).collect()
    }

    /// A department merged down D2:D4, a title merged across A1:D1 (not filled), and a range
    /// whose first cell is empty (nothing to fill with).
    #[test]
    fn a_range_that_spans_rows_gives_its_value_to_each_cell() {
        let mut fill = Fill::new([((0, 0), (0, 3)), ((1, 3), (3, 3)), ((1, 4), (2, 4))]);
        let mut rows = [
            row(1, &["基本信息"]),
            row(2, &["a", "甲", "138", "研发部", ""]),
            row(3, &["b", "乙", "139"]),
            row(4, &["c", "丙", "137", ""]),
            row(5, &["d", "丁", "136"]),
        ];
        for r in &mut rows {
            fill.apply(r);
        }
        assert_eq!(texts(&rows[0]), ["基本信息"]);
        assert_eq!(texts(&rows[2]), ["b", "乙", "139", "研发部"]);
        assert_eq!(texts(&rows[3]), ["c", "丙", "137", "研发部"]);
        assert_eq!(texts(&rows[4]), ["d", "丁", "136"]);
        let used = fill.used();
        let said = said(&used, 1, &[]).unwrap().text;
        assert!(
            said.contains("2 cells of merged ranges") && said.contains("D2:D4"),
            "{said}"
        );
        // Ranges within the header's rows are the header's titles: not said.
        assert_eq!(super::said(&used, 4, &[]), None);
        assert!(Fill::new([((0, 0), (0, 3))]).is_empty());
    }

    /// A cell under a range's first that holds a value of its own (a tool that merges and keeps
    /// every cell's value, as WPS can) keeps it, and a range that filled nothing is not said.
    #[test]
    fn a_cell_with_a_value_of_its_own_keeps_it() {
        let mut fill = Fill::new([((1, 3), (2, 3)), ((1, 4), (2, 4))]);
        let mut rows = [
            row(2, &["a", "甲", "138", "研发部", "经理"]),
            row(3, &["b", "乙", "139", "客服部", ""]),
        ];
        for r in &mut rows {
            fill.apply(r);
        }
        assert_eq!(texts(&rows[1]), ["b", "乙", "139", "客服部", "经理"]);
        let said = said(&fill.used(), 1, &[]).unwrap().text;
        assert!(said.contains("E2:E3") && !said.contains("D2:D3"), "{said}");
    }

    /// The warning names five ranges, and says there are more.
    #[test]
    fn more_than_five_ranges_are_said_in_part() {
        let used = |n: usize| -> Vec<Used> {
            (0..n)
                .map(|i| Used {
                    name: format!("D{}:D{}", 2 * i + 2, 2 * i + 3),
                    top: 2 * i as u32 + 2,
                    bottom: 2 * i as u32 + 3,
                    cells: 1,
                })
                .collect()
        };
        let five = said(&used(5), 1, &[]).unwrap().text;
        assert!(five.contains("D10:D11") && !five.contains('…'), "{five}");
        let six = said(&used(6), 1, &[]).unwrap().text;
        assert!(
            six.contains("6 cells") && six.contains("D10:D11, …") && !six.contains("D12"),
            "{six}"
        );
    }

    /// A range within the rows left out as the header again is its copy's title, not said; one
    /// with a row of a person below the header (before, between or after those rows) is.
    #[test]
    fn a_range_within_the_header_again_is_not_said() {
        let used = |top: u32, bottom: u32| {
            vec![Used {
                name: format!("A{top}:A{bottom}"),
                top,
                bottom,
                cells: 1,
            }]
        };
        let again = [5, 6, 9];
        for (top, bottom) in [(5, 6), (5, 5), (6, 6), (1, 6), (2, 5), (9, 9)] {
            assert_eq!(said(&used(top, bottom), 4, &again), None, "{top}:{bottom}");
        }
        for (top, bottom) in [(4, 7), (5, 7), (6, 9), (8, 9), (7, 7), (9, 10)] {
            assert!(
                said(&used(top, bottom), 4, &again).is_some(),
                "{top}:{bottom}"
            );
        }
        // Row 4 is the header, or a person under a header of three rows.
        assert!(said(&used(3, 5), 3, &again).is_some());
        assert_eq!(said(&used(3, 5), 4, &again), None);
    }

    /// A hostile file's range across every column and row fills nothing: it is no data
    /// column's merge.
    #[test]
    fn a_range_as_wide_as_the_sheet_is_a_banner() {
        let fill = Fill::new([((1, 0), (1_048_575, 16_383))]);
        assert!(fill.is_empty());
        // …and one narrow but past Excel's last column is no range at all.
        assert!(Fill::new([((1, 4_000_000_000), (3, 4_000_000_001))]).is_empty());
    }
}
