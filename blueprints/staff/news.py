"""Espace agents: ACTUALITÉS. Write, preview, schedule (display dates), publish, withdraw."""
from flask import abort, flash, redirect, request, url_for

from blueprints.common import EmptyForm, get_or_404
from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.forms import NewsForm
from domain import clock
from domain.messaging import news as news_rules
from models import News

#: The form's buttons: name="action" value -> what happens.
PREVIEW, DRAFT, PUBLISH, SAVE = "apercu", "brouillon", "publier", "enregistrer"


@bp.route("/actualites/")
def news():
    """Every news item with its state today (draft, scheduled, online, ended, withdrawn)."""
    today = clock.today()
    items = [(item, news_rules.news_state(item, today)) for item in news_rules.all_news()]
    return render("staff/news/index.html", items=items,
                  action_form=EmptyForm())


def _editor(form, item=None, preview=None, status=200):
    return render("staff/news/edit.html", form=form,
                  item=item, preview=preview, today=clock.today(),
                  news_date=news_rules.news_date,
                  state=news_rules.news_state(item, clock.today()) if item else None,
                  is_shown=news_rules.is_shown, status=status)


def _save(form, item):
    """Handle the editor's POST: preview, save as draft, publish or save."""
    action = request.form.get("action", SAVE if item else DRAFT)
    if action not in (PREVIEW, DRAFT, PUBLISH, SAVE):
        abort(400)
    if not form.validate_on_submit():
        return _editor(form, item, status=422)
    if action == PREVIEW:
        preview = News(title=form.title.data.strip(), body=form.body.data.strip(),
                       service=form.service.data or "", display_from=form.display_from.data,
                       display_until=form.display_until.data, published=True,
                       created_at=clock.utc_now())
        return _editor(form, item, preview)
    publish = {DRAFT: False, PUBLISH: True, SAVE: None}[action]
    saved = news_rules.save_news(current_actor(), item, form.title.data,
                                 form.body.data, form.service.data, form.display_from.data,
                                 form.display_until.data, publish)
    state = news_rules.news_state(saved, clock.today())
    flash(f"Actualité « {saved.title} » enregistrée : {state.lower()}.", "success")
    return redirect(url_for("staff.news"), code=303)


@bp.route("/actualites/nouvelle", methods=["GET", "POST"])
def news_new():
    """Write a news item; Aperçu shows it as families will see it."""
    form = NewsForm()
    if request.method == "POST":
        return _save(form, None)
    return _editor(form)


@bp.route("/actualites/<int:news_id>", methods=["GET", "POST"])
def news_edit(news_id):
    """Change a news item (its state stays unless Publier is pressed)."""
    item = get_or_404(News.select().where(News.id == news_id))
    form = NewsForm(obj=item) if request.method == "GET" else NewsForm()
    if request.method == "POST":
        return _save(form, item)
    return _editor(form, item)


@bp.route("/actualites/<int:news_id>/publier", methods=["POST"])
def news_publish(news_id):
    """Publish: shown to families within its display dates."""
    item = get_or_404(News.select().where(News.id == news_id))
    if not EmptyForm().validate_on_submit():
        abort(400)
    news_rules.publish(current_actor(), item)
    flash(f"Actualité « {item.title} » publiée : "
          f"{news_rules.news_state(item, clock.today()).lower()}.", "success")
    return redirect(url_for("staff.news"), code=303)


@bp.route("/actualites/<int:news_id>/retirer", methods=["POST"])
def news_withdraw(news_id):
    """Withdraw: no longer shown to families, at once."""
    item = get_or_404(News.select().where(News.id == news_id))
    if not EmptyForm().validate_on_submit():
        abort(400)
    news_rules.withdraw(current_actor(), item)
    flash(f"Actualité « {item.title} » retirée : les familles ne la voient plus.", "success")
    return redirect(url_for("staff.news"), code=303)
