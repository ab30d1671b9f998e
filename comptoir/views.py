from django.http import HttpResponse


def home(request):  # placeholder until the UI lands in this session
    return HttpResponse("home")


def search(request):
    return HttpResponse("search")
