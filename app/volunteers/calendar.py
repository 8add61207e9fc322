"""iCal feeds of upcoming activities, for a team or a site."""

from collections.abc import Callable, Iterable

from icalendar import Calendar, Event

from ..models import Activity


def activities_ics(activities: Iterable[Activity], name: str, url_for_activity: Callable) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Doorstep//家门口//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for activity in activities:
        event = Event()
        event.add("uid", f"activity-{activity.id}@doorstep")
        event.add("summary", activity.title)
        event.add("dtstart", activity.starts_at)
        event.add("dtend", activity.ends_at)
        event.add("dtstamp", activity.created_at)
        event.add("location", f"{activity.site.name}，{activity.site.address}")
        event.add("url", url_for_activity(activity))
        calendar.add_component(event)
    return calendar.to_ical()
