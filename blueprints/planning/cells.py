"""The calendar's cells as HTML, built in Python rather than in Jinja loops.

A 4 children x 4 lines month is some 1,500 cells: as Jinja macros and loops they were
the larger half of the page's time. These helpers give exactly the markup the macros
gave (same classes, hidden texts and labels), escaped with markupsafe; the templates
call them as globals (``pl_headers``, ``pl_rows``, ``pl_edit_cells``, ``pl_edit_cell``).
"""
from markupsafe import Markup, escape

from domain.booking.days import CELL_STATE_LABELS
from domain.formats import day_label

#: Hidden texts of the states a cell can show (DayStatus.css).
SR = CELL_STATE_LABELS
_VIEW_CELL = {c: f'<td class="{c}"><span class="visually-hidden">{t}</span></td>'
              for c, t in SR.items()}
_VIEW_CELL.update({"": "<td></td>", "x": '<td class="x"></td>', "f": '<td class="f"></td>'})


def day_headers(line):
    """The header row of a line's table: one ``<th>`` per day (closed, full)."""
    cells = ["<tr><td></td>"]
    for status in line.days.values():
        label = day_label(status.day)
        if not status.is_open:
            cells.append(f'<th scope="col" class="x">{label}'
                         '<span class="visually-hidden"> fermé</span></th>')
        elif status.full:
            cells.append(f'<th scope="col" class="f">{label} <small>complet</small></th>')
        else:
            cells.append(f'<th scope="col">{label}</th>')
    cells.append("</tr>")
    return Markup("".join(cells))


def view_rows(line):
    """The body rows of a line's table out of edit mode: one per modalité."""
    statuses = list(line.days.values())
    rows = []
    for modalite in line.modalites:
        mid = modalite.id
        rows.append(f'<tr><th scope="row">{escape(modalite.name)}</th>'
                    + "".join([_VIEW_CELL[s.css(mid)] for s in statuses]) + "</tr>")
    return Markup("\n".join(rows))


def edit_cell(line, status, modalite, ticked=None, oob=False):
    """One cell of the edit grid: the day's checkbox for ``modalite`` when it can be
    changed (ticked as ``ticked`` says after a refused form, else as the server holds
    it), otherwise its state as hidden text."""
    css = status.css(modalite.id)
    classes = (css + ("" if status.changeable else " l")).strip()
    day = status.day
    attributes = f' class="{classes}"' if classes else ""
    if oob:
        attributes += ' data-hx-swap-oob="true"'
    inner = ""
    if status.changeable:
        checked = (modalite.id in ticked.get(day, [])) if ticked is not None \
            else status.desired == modalite.id
        inner = (f'<input type="checkbox" name="jours" value="{modalite.id}:{day}" '
                 f'aria-label="{day_label(day)} : {escape(modalite.name)}"'
                 f'{" checked" if checked else ""}>')
    elif css in SR:
        inner = f'<span class="visually-hidden">{SR[css]}</span>'
    return Markup(f'<td id="cell-{line.key}-{modalite.id}-{day}"{attributes}>{inner}</td>')


def edit_cells(line, modalite, ticked=None):
    """Every day's cell of one modalité's row of the edit grid."""
    return Markup("".join([edit_cell(line, s, modalite, ticked) for s in line.days.values()]))


def register(blueprint):
    """Make the helpers template globals of the app."""
    for name, function in (("pl_headers", day_headers), ("pl_rows", view_rows),
                           ("pl_edit_cell", edit_cell), ("pl_edit_cells", edit_cells)):
        blueprint.add_app_template_global(function, name)
