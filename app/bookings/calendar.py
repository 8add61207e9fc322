"""Calendar files (.ics) for a booking, so it lands in the phone's calendar."""

from icalendar import Calendar, Event

from ..models import Booking


def booking_ics(booking: Booking, url: str, title: str) -> bytes:
    slot = booking.slot
    site = slot.service.site
    calendar = Calendar()
    calendar.add("prodid", "-//Doorstep//家门口//ZH")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"booking-{booking.id}@doorstep")
    event.add("summary", title)
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add("dtstamp", booking.created_at)
    event.add("location", f"{site.name}，{site.address}")
    event.add("description", f"{booking.code_display}\n{url}")
    event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical()
