"""ACTUALITÉS: the latest news of the services."""
from flask import render_template

from blueprints.actualites import bp
from domain import clock
from domain.messaging.news import news_date, visible_news


@bp.route("/")
def index():
    """The published news shown today, newest first."""
    return render_template("actualites/index.html",
                           news=visible_news(clock.today()), news_date=news_date)
