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
    for screen readers; on screen a « ✚ » (CSS), the words in the sentence under the
    grid, so that the day's column keeps its width."""
    return (f'<td class="b m"{attributes}><span class="visually-hidden">réservé, </span>'
            f'{ill_texts(status)}</td>')


def ill_texts(status):
    """« absent (malade) » and the justification's state (hidden on screen in the grid,
    where the cell shows « ✚ »)."""
    label, _, review = status.ill_text.partition(", ")
    if review.startswith("justificatif "):
        review = ('<span class="visually-hidden">justificatif </span>'
                  + review.removeprefix("justificatif "))
    return f'<span class="pl-ill">{label}</span>' + (f" <small>{review}</small>" if review
                                                      else "")


def waiting_cell(status, modalite):
    """A day the child waits for, seen out of edit mode: its rank, in words for screen
    readers and as « n°1 » on screen (CSS content from ``data-rang``), so that the day's
    column keeps its width; the sentence under the grid says it and holds « Quitter »."""
    waiting = status.waiting
    if waiting is not None and waiting.modalite_id == modalite.id:
        return (f'<td class="f w" data-rang="{waiting.rank}"><span class="pl-wait">'
                f'{waiting.text}</span></td>')
    return _VIEW_CELL[status.css(modalite.id)]


def view_rows(line):
    """The body rows of a line's table out of edit mode: one per modalité. A day
    declared ill says so; a day the child waits for gives its rank. The cells hold
    no button and no visible sentence, so that every day's column keeps its width:
    the sentence under the grid (``special_days``) says them and holds the buttons."""
    statuses = list(line.days.values())
    rows = []
    for modalite in line.modalites:
        mid = modalite.id
        cells = []
        for s in statuses:
            if s.ill is not None and s.booked == mid:
                cells.append(ill_cell(s))
            elif s.waiting is not None and s.booked is None:
                cells.append(waiting_cell(s, modalite))
            else:
                cells.append(_VIEW_CELL[s.css(mid)])
        rows.append(f'<tr><th scope="row">{escape(modalite.name)}</th>'
                    + "".join(cells) + "</tr>")
    return Markup("\n".join(rows))


def special_days(line, actions=False):
    """Under the grid, on a phone as on a desktop: the days of the range declared ill,
    on a waiting list or full, one sentence each (the cells show only an icon, so that
    the month fits its width). With ``actions`` (the family's own calendar, inside the
    line's waiting-list form) a waiting day offers « Quitter la liste d'attente » and a
    full day one « Liste d'attente » button per modalité; "" when there is none."""
    said = []
    for s in line.days.values():
        ill = s.ill is not None and s.booked is not None
        can_wait = s.can_wait
        if not (ill or s.waiting is not None or can_wait):
            continue  # most days: nothing to say (this runs for every day of every line)
        when = f"{day_label(s.day)}/{s.day.strftime('%m')}"
        full_date = date_fr(s.day)
        if ill:
            said.append(f"<li>{when} : {escape(s.ill_text)}</li>")
        if s.waiting is not None:
            leave = ""
            if actions:
                url = url_for("planning.leave_waiting_list", entry_id=s.waiting.entry_id)
                leave = (f' <button type="submit" class="button pl-leave" formaction="{url}" '
                         'name="retour" value="planning">Quitter la liste d\'attente<span '
                         f'class="visually-hidden"> du {full_date}</span></button>')
            said.append(f"<li>{when} : {s.waiting.text}{leave}</li>")
        elif can_wait and actions:
            buttons = "".join(
                f' <button type="submit" class="button pl-join" name="attente" '
                f'value="{s.day}:{m.id}">Liste d\'attente<span class="visually-hidden"> du '
                f'{full_date}</span> : {escape(m.name)}</button>' for m in line.modalites)
            said.append(f"<li>{when} : complet.{buttons}</li>")
        elif can_wait:
            said.append(f"<li>{when} : complet, liste d'attente possible</li>")
    if not said:
        return ""
    return Markup(f'<ul class="pl-special">{"".join(said)}</ul>')


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
    if ill and not status.changeable:  # ticked or not, the checkbox's label says it
        inner += ill_texts(status)
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
