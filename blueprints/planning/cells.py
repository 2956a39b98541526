"""The calendar's cells as HTML, built in Python rather than in Jinja loops.

A 4 children x 4 lines month is some 1,500 cells: as Jinja macros and loops they were
the larger half of the page's time. These helpers give exactly the markup the macros
gave (same classes, hidden texts and labels), escaped with markupsafe; the templates
call them as globals (``pl_headers``, ``pl_rows``, ``pl_edit_cells``, ``pl_edit_cell``).
"""
from flask import url_for
from markupsafe import Markup, escape

from domain.booking.days import CELL_STATE_LABELS
from domain.formats import date_fr, day_label

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


def ill_cell(status, attributes=""):
    """A booked day declared ill: « absent (malade) » and where its justification stands,
    as text (not a colour)."""
    return (f'<td class="b m"{attributes}><span class="visually-hidden">réservé, </span>'
            f'{ill_texts(status)}</td>')


def ill_texts(status):
    """« absent (malade) » and the justification's state, short enough for a narrow
    column (« justificatif » said to screen readers only)."""
    label, _, review = status.ill_text.partition(", ")
    if review.startswith("justificatif "):
        review = ('<span class="visually-hidden">justificatif </span>'
                  + review.removeprefix("justificatif "))
    return f'<span class="pl-ill">{label}</span>' + (f" <small>{review}</small>" if review
                                                      else "")


def waiting_cell(line, status, modalite, actions):
    """A full day seen out of edit mode: the child's rank on its waiting list (and
    « Quitter » with ``actions``), or « liste d'attente » to join it; else as before."""
    waiting, when = status.waiting, date_fr(status.day)
    if waiting is not None and waiting.modalite_id == modalite.id:
        leave = ""
        if actions:
            url = url_for("planning.leave_waiting_list", entry_id=waiting.entry_id)
            leave = (f'<button type="submit" class="pl-leave" formaction="{url}" name="retour" '
                     f'value="planning">Quitter<span class="visually-hidden"> la liste '
                     f'd\'attente du {when}</span></button>')
        return f'<td class="f w"><span class="pl-wait">{waiting.text}</span>{leave}</td>'
    if actions and status.can_wait:
        return (f'<td class="f"><button type="submit" class="pl-join" name="attente" '
                f'value="{status.day}:{modalite.id}">liste d\'attente<span '
                f'class="visually-hidden"> du {when} : {escape(modalite.name)}</span></button>'
                "</td>")
    return _VIEW_CELL[status.css(modalite.id)]


def view_rows(line, actions=False):
    """The body rows of a line's table out of edit mode: one per modalité. A day
    declared ill says so; a full day shows the child's rank on its waiting list, or
    (``actions``: the family's own calendar, inside the line's waiting-list form)
    offers to join it."""
    statuses = list(line.days.values())
    rows = []
    for modalite in line.modalites:
        mid = modalite.id
        cells = []
        for s in statuses:
            if s.ill is not None and s.booked == mid:
                cells.append(ill_cell(s))
            elif s.booked is None and (s.waiting is not None or (actions and s.full)):
                cells.append(waiting_cell(line, s, modalite, actions))
            else:
                cells.append(_VIEW_CELL[s.css(mid)])
        rows.append(f'<tr><th scope="row">{escape(modalite.name)}</th>'
                    + "".join(cells) + "</tr>")
    return Markup("\n".join(rows))


def special_days(line):
    """On a phone, where the month's grid scrolls sideways: the days of the range
    declared ill or on a waiting list, said in a sentence under the grid (the cells
    themselves hold the buttons); "" when there is none."""
    said = []
    for s in line.days.values():
        when = f"{day_label(s.day)}/{s.day.strftime('%m')}"
        if s.ill is not None and s.booked is not None:
            said.append(f"{when} : {s.ill_text}")
        if s.waiting is not None:
            said.append(f"{when} : {s.waiting.text}")
        elif s.can_wait:
            said.append(f"{when} : complet, liste d'attente possible")
    if not said:
        return ""
    return Markup(f'<p class="pl-special pl-phone">{escape(" · ".join(said))} (faites '
                  "défiler le calendrier jusqu'au jour).</p>")


def edit_cell(line, status, modalite, ticked=None, oob=False):
    """One cell of the edit grid: the day's checkbox for ``modalite`` when it can be
    changed (ticked as ``ticked`` says after a refused form, else as the server holds
    it), otherwise its state as hidden text; a day declared ill says so."""
    css = status.css(modalite.id)
    ill = status.is_ill(modalite.id)
    classes = (css + ("" if status.changeable else " l") + (" m" if ill else "")).strip()
    day = status.day
    attributes = f' class="{classes}"' if classes else ""
    if oob:
        attributes += ' data-hx-swap-oob="true"'
    inner = ""
    if status.changeable:
        checked = (modalite.id in ticked.get(day, [])) if ticked is not None \
            else status.desired == modalite.id
        inner = (f'<input type="checkbox" name="jours" value="{modalite.id}:{day}" '
                 f'aria-label="{day_label(day)} : {escape(modalite.name)}'
                 f'{" (" + status.ill_text + ")" if ill else ""}"'
                 f'{" checked" if checked else ""}>')
    elif css in SR:
        inner = f'<span class="visually-hidden">{SR[css]}{", " if ill else ""}</span>'
    if ill:
        inner += ('<span class="pl-ill" aria-hidden="true">malade</span>' if status.changeable
                  else ill_texts(status))
    return Markup(f'<td id="cell-{line.key}-{modalite.id}-{day}"{attributes}>{inner}</td>')


def edit_cells(line, modalite, ticked=None):
    """Every day's cell of one modalité's row of the edit grid."""
    return Markup("".join([edit_cell(line, s, modalite, ticked) for s in line.days.values()]))


def register(blueprint):
    """Make the helpers template globals of the app."""
    for name, function in (("pl_headers", day_headers), ("pl_rows", view_rows),
                           ("pl_special", special_days),
                           ("pl_edit_cell", edit_cell), ("pl_edit_cells", edit_cells)):
        blueprint.add_app_template_global(function, name)
