"""Messagerie rules shared by the family and staff sides."""
from models import Message, MessageThread


def unread_count(family):
    """Messages from staff that the family has not read yet."""
    return (Message.select().join(MessageThread)
            .where((MessageThread.family == family) & Message.from_staff
                   & Message.read_by_family_at.is_null())
            .count())
